"""The events file: editors list what happened on a date (the start of an inspection round, a
new rule), for every body, one kind of body or one body, through the store's one checked import.

An events file is a CSV or XLSX file whose header has the column ``title_zh`` (see
``EVENT_COLUMNS`` and ``template``). Its rows become rows of the ``events`` table
(data/dictionary.csv) in a batch of their own, checked like figures and rolled back like any
batch (``metrics.sidefiles``). The 进度 page draws them as vertical rules on the trend charts of
the bodies they concern (``metrics.queries.progress_events``), up to the as-of date only.
"""

from __future__ import annotations

from metrics import sidefiles, tablefile

# column: (required, meaning). The order is the template's.
EVENT_COLUMNS: dict[str, tuple[bool, str]] = {
    "date": (True, "日期：YYYY-MM-DD（YYYY、YYYY-MM 指该年、该月第一天）"),
    "title_zh": (True, "事件（中文），如：第二轮巡视启动"),
    "title_en": (False, "事件（英文）；留空则显示中文"),
    "body": (False, "单位：编号、全称或简称；留空则对所有单位（或下列类别的单位）标注"),
    "kind": (False, "单位类别：编号或名称（如 省区市、中央企业）；留空则不限类别"),
    "note": (False, "出处或说明"),
}
# Where an events row's cell is checked as a column of the events table: the file's column.
FILE_COLUMN_OF = {"event_date": "date", "body_id": "body", "body_kind": "kind"}


def is_events_file(table: tablefile.Table) -> bool:
    """Whether a table read from an import file is an events file (it has ``title_zh``)."""
    return KIND.is_one(table)


def _row(cell: dict[str, str], line: int, context: dict, problem) -> dict | None:
    """One events row from a file's cells (see ``sidefiles.RowMaker``)."""
    known = context["known"]
    body = sidefiles.named(known["body"], "body", cell["body"], problem)
    kind = sidefiles.named(known["body_kind"], "kind", cell["kind"], problem)
    if body is None or kind is None:
        return None  # its other cells are checked once its names are known
    return {
        "event_id": f"event_{context['batch_id']}_r{line:05d}",
        "event_date": cell["date"],
        "title_zh": cell["title_zh"],
        "title_en": cell["title_en"],
        "body_id": body,
        "body_kind": kind,
        "note": cell["note"],
    }


KIND = sidefiles.SideFile("events", "title_zh", EVENT_COLUMNS, FILE_COLUMN_OF, _row)


def template(fmt: str = "csv") -> bytes:
    """An empty events file: CSV (UTF-8 with BOM) or XLSX with a sheet explaining every column."""
    return sidefiles.template(KIND, fmt)
