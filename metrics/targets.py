"""The targets file: editors set targets (办结率 ≥ 90% by a date) per indicator, or per body and
indicator, through the store's one checked import (``metrics.store.Store.import_file``).

A targets file is a CSV or XLSX file whose header has the column ``comparison`` (see
``TARGET_COLUMNS`` and ``template``); ``metrics.ingest.read`` hands such a file here. Its rows
become rows of the ``targets`` table (data/dictionary.csv) in a batch of their own, checked like
figures and rolled back like any batch (``metrics.sidefiles``). How a target lights a measure:
``metrics.progress``.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd

from metrics import sidefiles, tablefile

# column: (required, meaning). The order is the template's.
TARGET_COLUMNS: dict[str, tuple[bool, str]] = {
    "indicator": (True, "指标：编号或名称（如 inspection_feedback_closure / 巡视督察反馈问题整改）"),
    "body": (False, "单位：编号、全称或简称；留空则对报告该指标的所有单位适用（单位自己的目标优先）"),
    "comparison": (True, "at_least（不低于，≥）或 at_most（不高于，≤）"),
    "target": (True, "目标值：完成率、占比以百分数填写（90 表示 90%）；数量按其量词"),
    "counter": (True, "目标值的量词：完成率、占比填 %；数量填 件、人 等（同一量词类别的数字适用）"),
    "deadline": (False, "完成期限：YYYY-MM-DD（YYYY、YYYY-MM 指该年、该月最后一天）；留空则无期限"),
    "set_on": (False, "设定日期：YYYY-MM-DD，目标自此日起适用（回看此日之前不适用）；留空则为导入当天"),
    "note": (False, "目标出处或说明"),
}
COMPARISONS = {
    "at_least": "at_least",
    "≥": "at_least",
    ">=": "at_least",
    "不低于": "at_least",
    "at_most": "at_most",
    "≤": "at_most",
    "<=": "at_most",
    "不高于": "at_most",
}
# Where a targets row's cell is checked as a column of the targets table: the file's column.
FILE_COLUMN_OF = {"indicator_id": "indicator", "body_id": "body", "value": "target"}
RATE_KINDS = {"closure", "share"}  # measures whose value is a percent


def is_targets_file(table: tablefile.Table) -> bool:
    """Whether a table read from an import file is a targets file (it has ``comparison``)."""
    return KIND.is_one(table)


def _row(cell: dict[str, str], line: int, context: dict, problem) -> dict | None:
    """One targets row from a file's cells (see ``sidefiles.RowMaker``)."""
    known = context["known"]
    indicator = sidefiles.named(known["indicator"], "indicator", cell["indicator"], problem)
    body = sidefiles.named(known["body"], "body", cell["body"], problem) if cell["body"] else ""
    if indicator is None or body is None:
        return None  # its other cells are checked once its names are known
    if indicator:
        _fits_measures(context["measures"], indicator, body, cell["counter"], problem)
        seen = context.setdefault("seen", {})
        key = (indicator, body, cell["counter"])
        if key in seen:
            problem(
                "indicator",
                f"a second target for this indicator, body and counter (row {seen[key]}); keep one",
            )
        seen.setdefault(key, line)
    return {
        "target_id": f"target_{context['batch_id']}_r{line:05d}",
        "indicator_id": indicator,
        "body_id": body,
        "comparison": COMPARISONS.get(cell["comparison"], cell["comparison"]),
        "value": cell["target"],
        "counter": cell["counter"],
        "deadline": cell["deadline"],
        "set_on": cell["set_on"] or datetime.now(UTC).date().isoformat(),
        "note": cell["note"],
    }


def _fits_measures(measures: pd.DataFrame, indicator: str, body: str, counter: str, problem) -> None:
    """A target must light something: a measure of its indicator (and body), in its terms."""
    mine = measures[measures.indicator_id == indicator]
    if body:
        mine = mine[mine.body_id == body]
    if mine.empty:
        where = "body" if body else "indicator"
        problem(
            where,
            "no measure of this indicator"
            + (" for this body" if body else "")
            + ": the target would light nothing",
        )
    elif counter and counter != "%" and set(mine.kind) <= RATE_KINDS:
        problem(
            "counter",
            f"the measures of this indicator are rates in percent: the counter is %, not {counter!r}",
        )


KIND = sidefiles.SideFile("targets", "comparison", TARGET_COLUMNS, FILE_COLUMN_OF, _row)


def template(fmt: str = "csv") -> bytes:
    """An empty targets file: CSV (UTF-8 with BOM) or XLSX with a sheet explaining every column."""
    return sidefiles.template(KIND, fmt)
