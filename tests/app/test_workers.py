"""app.controllers.workers: callbacks on the GUI thread, and finished workers released there (not leaked, not freed
by a pool thread)."""

import threading
import weakref

from app.controllers import workers as W


def test_results_and_errors_come_back_and_workers_are_released_on_the_gui_thread(qtbot):
    owned: set = set()
    results, errors, freed_on_main = [], [], []
    refs = []

    def fail(x):
        raise ValueError(f"bad {x}")

    for i in range(12):
        w = W.start_worker(owned, (lambda x: 2 * x) if i % 3 else fail, i, returned=results.append,
                           errored=errors.append)
        refs.append(weakref.ref(w, lambda _r: freed_on_main.append(threading.current_thread() is threading.main_thread())))
        del w
    qtbot.waitUntil(lambda: len(results) + len(errors) == 12 and not owned, timeout=10_000)
    assert sorted(results) == [2 * i for i in range(12) if i % 3]
    assert sorted(str(e) for e in errors) == sorted(f"bad {i}" for i in range(12) if not i % 3)
    errors.clear()  # an exception's traceback holds its worker's frames
    W.release_finished()  # (the retry timer may have given up while the tracebacks held them)
    qtbot.waitUntil(lambda: all(r() is None for r in refs), timeout=10_000)  # none leaked
    assert len(freed_on_main) == 12 and all(freed_on_main)  # each freed on the GUI thread
