"""The paper's own figures (resources/paper_results.json) for the benchmark report.

Layout of the file: {"tables": {table id: {"title", "data", "columns": [column, ...], "rows": {row key: {
"paper_label", "supervision", [settings,] column: value, ..., "gap": {column: SMILE-VLM minus this row}}}}}}, table
ids "II", "III", "IV_a" (BP4D recognition), "IV_b" (BU-4DFE -> BP4D: one accuracy over tasks T1 and T8 together),
"V" (rows per model and view with "f1" and "accuracy" per class and "average") and "ablation" (Fig. 2: a figure, its
values null). Columns are our experiment ids (plus "bu4dfe_to_bp4d"); rows that stand for our methods are keyed
"<method id>/<evaluation>", the others by the paper's label.

Every figure here is a result on the REAL data sets, printed beside the benchmark's synthetic results for orientation
only: not comparable one to one.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from core.eval.report_common import md_table

PAPER_FILE = "paper_results.json"
NOT_TRANSCRIBED = "n/a (not transcribed)"
NO_COUNTERPART = "—"
NOT_REPORTED = "not reported"
#: The column of Table IV (b), the cross-data-set figure.
CROSS_COLUMN = "bu4dfe_to_bp4d"
REAL_DATA = "real data; not comparable one to one with synthetic results"


def load_paper_results(path: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """resources/paper_results.json (or ``path``); {} when it is missing or unreadable."""
    if path is None:
        from core.resources import resources_dir

        try:
            path = resources_dir() / PAPER_FILE
        except FileNotFoundError:
            return {}
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):  # RecursionError: JSON nested too deeply
        return {}
    return data if isinstance(data, dict) else {}


def paper_table(paper: Mapping[str, Any], table: str) -> dict[str, Any]:
    """One table of the paper's file ({} when absent or malformed)."""
    tables = paper.get("tables") if isinstance(paper, Mapping) else None
    found = tables.get(table) if isinstance(tables, Mapping) else None
    return found if isinstance(found, dict) else {}


def format_value(value: Any, digits: int = 2) -> str:
    """A transcribed number with the paper's precision (2 decimals for percentages, 4 for Table V's F1)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    return f"{float(value):.{digits}f}"


def paper_cell(paper: Mapping[str, Any], table: str, row: str, column: str) -> str:
    """The paper's value for (table, row, column) formatted; NO_COUNTERPART when the paper has no such row,
    NOT_REPORTED when the row has no such column, and for null (not transcribed) the table's "figure_only" text or
    NOT_TRANSCRIBED."""
    t = paper_table(paper, table)
    rows = t.get("rows") if isinstance(t.get("rows"), Mapping) else {}
    entry = rows.get(row)
    if not isinstance(entry, Mapping):
        return NO_COUNTERPART
    if column not in entry:
        return NOT_REPORTED
    value = entry[column]
    if value is None:
        return str(t.get("figure_only") or NOT_TRANSCRIBED)
    return format_value(value)


def table_with_column(paper: Mapping[str, Any], column: str, candidates: Sequence[str]) -> str | None:
    """The first of ``candidates`` (table ids) whose columns include ``column``."""
    for table in candidates:
        if column in (paper_table(paper, table).get("columns") or ()):
            return table
    return None


def recognition_cell(paper: Mapping[str, Any], candidates: Sequence[str], row: str, column: str) -> str:
    """paper_cell in whichever of ``candidates`` holds ``column`` (BP4D recognition is the paper's Table IV (a),
    beside our Table III-like rows); NO_COUNTERPART when none does."""
    table = table_with_column(paper, column, candidates)
    return NO_COUNTERPART if table is None else paper_cell(paper, table, row, column)


def _with_gap(entry: Mapping[str, Any], column: str) -> str:
    if column not in entry:
        return NOT_REPORTED
    value = entry[column]
    if value is None:
        return NOT_TRANSCRIBED
    gap = (entry.get("gap") or {}).get(column)
    return format_value(value) + ("" if gap is None else f" (Δ {float(gap):+.2f})")


def paper_full_table(paper: Mapping[str, Any], table: str) -> str | None:
    """Every row of one of the paper's accuracy tables (II, III, IV_a, IV_b) as markdown, captioned as real-data
    results; None when the file lacks it."""
    t = paper_table(paper, table)
    rows = t.get("rows")
    columns = list(t.get("columns") or ())
    if not isinstance(rows, Mapping) or not rows or not columns:
        return None
    titles = t.get("column_titles") or {}
    with_settings = any(isinstance(r, Mapping) and "settings" in r for r in rows.values())
    header = ["Method (as printed)", "Supervision"] + (["Settings"] if with_settings else [])
    header += [f"{titles.get(c, c)} (%)" for c in columns]
    body = []
    for key, entry in rows.items():
        if not isinstance(entry, Mapping):
            continue
        label = str(entry.get("paper_label", key))
        if entry.get("derived_from"):
            label += " — " + ", ".join(f"{titles.get(c, c)}: {src}" for c, src in entry["derived_from"].items())
        line = [label, str(entry.get("supervision", "?"))]
        if with_settings:
            line.append(str(entry.get("settings", "")))
        body.append(line + [_with_gap(entry, c) for c in columns])
    caption = f"**The paper's {t.get('title', 'Table ' + table)}** ({t.get('data', 'real data')}; {REAL_DATA}."
    if t.get("note"):
        caption += f" {t['note']}."
    caption += " Δ: the paper's SMILE-VLM minus the row, as printed.)"
    return caption + "\n\n" + md_table(header, body)


def paper_micro_table(paper: Mapping[str, Any]) -> str | None:
    """The paper's Table V with its rows per model and view (F1 as printed, in [0, 1]; accuracy in %), captioned as
    real-data results; None when the file lacks it."""
    t = paper_table(paper, "V")
    rows = t.get("rows")
    classes = list(t.get("classes") or ())
    if not isinstance(rows, Mapping) or not rows or not classes:
        return None
    header = ["Metric", "Model / view", "Supervision"] + classes + ["average"]
    body = []
    for metric, title, digits in (("f1", "F1 (0–1)", 4), ("accuracy", "Accuracy (%)", 2)):
        for key, entry in rows.items():
            if not isinstance(entry, Mapping):
                continue
            values = entry.get(metric) or {}
            cells = [NOT_TRANSCRIBED if values.get(c) is None else format_value(values[c], digits)
                     for c in classes + ["average"]]
            body.append([title, str(entry.get("paper_label", key)), str(entry.get("supervision", "?"))] + cells)
    caption = (f"**The paper's {t.get('title', 'Table V')}** ({t.get('data', 'real 4DME data')}; {REAL_DATA}; "
               "its F1 is a fraction, ours a percentage.)")
    return caption + "\n\n" + md_table(header, body)
