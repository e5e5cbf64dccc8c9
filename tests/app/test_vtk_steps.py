import time

import pytest

from app.controllers.vtk_steps import VtkSteps


def test_steps_run_in_order_over_several_turns_and_return_their_values(qtbot):
    turns = []

    def step(i):
        def run():
            time.sleep(0.004)
            turns.append(i)
            return i * i
        return run

    job = VtkSteps([step(i) for i in range(6)], 0.005)
    with qtbot.waitSignal(job.finished, timeout=2000) as blocker:
        job.start()
        assert turns == []  # nothing runs before the event loop turns
    assert blocker.args == [[0, 1, 4, 9, 16, 25]] and turns == list(range(6))
    assert 0.004 <= job.max_step_s < 0.05  # a turn stops once over its budget: two steps at most here


def test_a_failing_step_is_reported_and_the_rest_not_run(qtbot):
    ran = []

    def boom():
        raise RuntimeError("no GL")

    job = VtkSteps([lambda: ran.append(1), boom, lambda: ran.append(3)], 1.0)
    with qtbot.waitSignal(job.failed, timeout=2000) as blocker:
        job.start()
    assert isinstance(blocker.args[0], RuntimeError) and ran == [1]


def test_cancel_stops_before_the_next_turn(qtbot):
    ran = []
    job = VtkSteps([lambda: ran.append(1)] * 3, 1.0)
    job.finished.connect(lambda out: ran.append("finished"))
    job.start()
    job.cancel()
    qtbot.wait(50)
    assert ran == []


def test_the_budget_must_be_positive():
    with pytest.raises(ValueError):
        VtkSteps([], 0.0)
