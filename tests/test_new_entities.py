"""Staff add bodies, themes and indicators through the import (metrics.ingest, metrics.batches).

A new city committee (杭州), a new theme (安全生产) and a new indicator in a comparable group of
its own arrive in one file; a second file reuses them by name. Every test has its own store in
tmp (a copy of a database built once from data/, and an empty imports folder), also set as
METRICS_DB / METRICS_IMPORTS_DIR for the command line. Expected values are written by hand.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pyarrow as pa
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from metrics import batches, cli, curated, ingest, labels, paths, queries
from metrics.store import Store

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
CURATED_FIGURES = 98

SOURCE = {
    "source_title": "杭州市委主题教育整改落实情况通报（第3期）",
    "source_publisher": "杭州市委主题教育领导小组办公室",
    "source_published": "2019-11",
    "source_reference": "杭教组办〔2019〕3号",
}
LATER_SOURCE = {
    **SOURCE,
    "source_title": "杭州市委主题教育整改落实情况通报（第4期）",
    "source_published": "2019-12",
}
HANGZHOU = {"body": "杭州", "body_kind": "市县", "body_name_zh": "中共杭州市委", "body_region": "浙江"}
SAFETY = {"theme": "安全生产", "theme_name_en": "Work safety"}
DEFINITION = "排查发现的安全生产隐患及其整改完成情况，按项计；不含一般性安全检查次数。"
HAZARDS = {
    "indicator": "安全隐患整改",
    "indicator_family": "problems",
    "indicator_direction": "up",
    "indicator_definition_zh": DEFINITION,
}
HAZARD_MEASURE = {
    "theme": "安全生产",
    "indicator": "安全隐患整改",
    "measure_kind": "closure",
    "label_zh": "安全生产隐患整改",
    "label_en": "Work-safety hazards fixed",
}
EVIDENCE = "排查安全生产隐患500项，已整改450项"
HAZARD_TOTAL = {
    **HANGZHOU,
    **SAFETY,
    **HAZARD_MEASURE,
    **HAZARDS,
    "role": "total",
    "value": "500",
    "counter": "项",
    "as_written": "500项",
    "as_of": "2019-11",
    "evidence": EVIDENCE,
    **SOURCE,
}
HAZARD_CLOSED = {
    "body": "杭州",
    **HAZARD_MEASURE,
    "role": "closed",
    "value": "450",
    "counter": "项",
    "as_written": "450项",
    "as_of": "2019-11",
    "evidence": EVIDENCE,
    **SOURCE,
}
# A count of an existing indicator (cases, which 天津 reports too) by the new body.
CASES = {
    "body": "杭州",
    "theme": "违反中央八项规定精神",
    "indicator": "cases",
    "measure_kind": "count",
    "label_zh": "查处违反中央八项规定精神问题",
    "label_en": "Eight-point-rule cases investigated",
    "role": "value",
    "value": "35",
    "counter": "起",
    "as_written": "35起",
    "as_of": "2019-11",
    "evidence": "查处违反中央八项规定精神问题35起",
    **SOURCE,
}
FIRST = [HAZARD_TOTAL, HAZARD_CLOSED, CASES]
# The second file names the body by its full name and adds a measure of its own to it.
LATER_EVIDENCE = "排查安全生产隐患500项，已整改480项"
SECOND = [
    {
        "body": "中共杭州市委",
        **HAZARD_MEASURE,
        "role": "total",
        "value": "500",
        "counter": "项",
        "as_written": "500项",
        "as_of": "2019-12",
        "evidence": LATER_EVIDENCE,
        **LATER_SOURCE,
    },
    {
        "body": "中共杭州市委",
        **HAZARD_MEASURE,
        "role": "closed",
        "value": "480",
        "counter": "项",
        "as_written": "480项",
        "as_of": "2019-12",
        "evidence": LATER_EVIDENCE,
        **LATER_SOURCE,
    },
    {
        "body": "中共杭州市委",
        "theme": "不作为不担当",
        "indicator": "问责/处理人数",
        "measure_kind": "count",
        "label_zh": "不作为不担当问题问责人数",
        "label_en": "People held accountable for inaction",
        "role": "value",
        "value": "12",
        "counter": "人",
        "as_written": "12人",
        "as_of": "2019-12",
        "evidence": "问责不作为不担当问题12人",
        **LATER_SOURCE,
    },
]


# --- helpers ------------------------------------------------------------------------------------


def csv_bytes(rows: list[dict[str, str]]) -> bytes:
    columns = list(dict.fromkeys(key for row in rows for key in row))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([row.get(c, "") for c in columns] for row in rows)
    return out.getvalue().encode("utf-8")


def run_cli(*args: str) -> tuple[int, str]:
    """``python -m metrics ARGS`` in this process: (exit status, stderr)."""
    out, err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8"), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = cli.main(list(args))
    return code, err.getvalue()


def tables_of(db: Path) -> dict[str, list[tuple]]:
    """Every table of a build (but build_info), rows sorted."""
    with duckdb.connect(str(db.resolve()), read_only=True) as con:
        names = [
            n
            for (n,) in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE table_name <> 'build_info' ORDER BY 1"
            ).fetchall()
        ]
        return {n: sorted(con.execute(f"SELECT * FROM {n}").fetchall(), key=repr) for n in names}


@dataclass
class Shop:
    db: Path
    imports: Path

    def import_(self, rows: list[dict[str, str]], name: str):
        return Store(self.db, imports_dir=self.imports).import_file(csv_bytes(rows), name)

    def import_cli(self, rows: list[dict[str, str]], name: str, folder: Path) -> tuple[int, str]:
        path = folder / name
        path.write_bytes(csv_bytes(rows))
        return run_cli("import", str(path))

    def query(self, name: str):
        with duckdb.connect(str(self.db.resolve()), read_only=True) as con:
            return getattr(queries, name)(con)

    def one(self, sql: str, params=None):
        with duckdb.connect(str(self.db.resolve()), read_only=True) as con:
            return con.execute(sql, params or []).fetchone()

    def batches(self) -> list[batches.Batch]:
        return batches.list_batches(self.imports)

    def snapshot(self) -> dict[str, str]:
        """SHA-256 of the database the path leads to and of every visible file of the store."""
        found = {"(database)": hashlib.sha256(self.db.read_bytes()).hexdigest()}
        for folder in (self.db.parent, self.imports):
            for path in sorted(folder.rglob("*")):
                relative = path.relative_to(folder.parent)
                if path.is_file() and not any(part.startswith(".") for part in relative.parts):
                    found[str(relative)] = hashlib.sha256(path.read_bytes()).hexdigest()
        return found


@pytest.fixture(scope="module")
def pristine_db(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("pristine") / "metrics.duckdb"
    Store(db, data_dir=DATA_DIR, sources_dir=paths.sources_dir(), imports_dir=db.parent / "none").build()
    return db


@pytest.fixture
def shop(tmp_path: Path, pristine_db: Path, monkeypatch) -> Shop:
    db = tmp_path / "db" / "metrics.duckdb"
    db.parent.mkdir()
    shutil.copyfile(pristine_db, db)
    imports = tmp_path / "imports"
    imports.mkdir()
    monkeypatch.setenv("METRICS_DB", str(db))
    monkeypatch.setenv("METRICS_IMPORTS_DIR", str(imports))
    return Shop(db, imports)


def ids(shop: Shop) -> tuple[str, str, str, str]:
    """The generated ids of the new body, theme, comparable group and indicator."""
    return (
        shop.one("SELECT body_id FROM bodies WHERE name_zh = '中共杭州市委'")[0],
        shop.one("SELECT theme_id FROM themes WHERE name_zh = '安全生产'")[0],
        shop.one("SELECT group_id FROM comparable_groups WHERE name_zh = '安全隐患整改'")[0],
        shop.one("SELECT indicator_id FROM indicators WHERE name_zh = '安全隐患整改'")[0],
    )


# --- a new body, theme and indicator --------------------------------------------------------------


def test_a_new_body_theme_and_indicator_import_from_the_cli(shop, tmp_path):
    code, err = shop.import_cli(FIRST, "hangzhou.csv", tmp_path)
    assert code == 0, err
    body, theme, group, indicator = ids(shop)
    assert body.startswith("b_") and theme.startswith("t_") and group.startswith("g_")
    assert indicator.startswith("i_")
    assert f"added body 中共杭州市委 as {body}, local (row 2)" in err
    assert f"added theme 安全生产 (Work safety) as {theme} (row 2)" in err
    assert f"added indicator 安全隐患整改 as {indicator}, problems, {group} (row 2)" in err
    [batch] = shop.batches()
    folder = shop.imports / batch.batch_id
    for table in ("bodies", "themes", "comparable_groups", "indicators"):  # one row each, in the batch
        assert len(list(csv.DictReader((folder / f"{table}.csv").open(encoding="utf-8")))) == 1, table

    bodies = shop.query("bodies").set_index("body_id")
    assert bodies.loc[body, ["name_zh", "short_zh", "body_kind", "region"]].tolist() == [
        "中共杭州市委",
        "杭州",
        "local",
        "浙江",
    ]
    # No English names were given: the English ones are the Chinese ones, never empty.
    assert bodies.loc[body, ["name_en", "short_en"]].tolist() == ["中共杭州市委", "杭州"]
    assert shop.query("themes").set_index("theme_id").loc[theme, "name_en"] == "Work safety"
    assert shop.query("indicators").set_index("indicator_id").loc[indicator, "name_en"] == "安全隐患整改"

    closures = shop.query("closures")
    [closure] = closures[closures.body_id == body].to_dict("records")
    assert closure["group_key"] == f"{group}/closure_rate"
    assert (closure["total"], closure["closed"], closure["closure_rate"]) == (500, 450, 0.9)
    assert (closure["theme_id"], closure["indicator_id"], closure["direction"]) == (theme, indicator, "up")
    assert (closure["comparable_group_zh"], closure["definition_zh"]) == ("安全隐患整改", DEFINITION)
    english = labels.names(closures[closures.body_id == body], "en").iloc[0]
    assert english.body_label == "杭州" and english.body_name == "中共杭州市委"
    assert english.indicator_label == "安全隐患整改" and english.theme_label == "Work safety"
    assert (english.comparable_label, english.definition_label) == ("安全隐患整改", DEFINITION)

    cases = shop.query("cases")
    [count] = cases[cases.body_id == body].to_dict("records")
    assert (count["group_key"], count["value"], count["counter"]) == ("cases/count/item", 35, "起")
    assert set(cases[cases.group_key == "cases/count/item"].body_id) == {"tianjin", body}
    assert count["group_bodies"] == 2  # ranked beside 天津's cases


def test_english_pages_show_the_chinese_name_where_no_english_one_was_given(shop):
    checked, batch = shop.import_(FIRST, "hangzhou.csv")
    assert batch is not None, checked.problems
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file("../dashboard.py", default_timeout=60)
    at.query_params["lang"] = "English"
    at.run()
    at.switch_page("metrics/ui/pages/cases.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert "杭州" in at.multiselect(key="body").options  # the short name, as no English one was given
    assert "" not in at.multiselect(key="body").options
    charted = set()
    for chart in at.get("vega_lite_chart"):
        frames = [pa.ipc.open_stream(ds.data.data).read_all().to_pandas() for ds in chart.proto.datasets]
        if chart.proto.HasField("data") and chart.proto.data.data:
            frames.append(pa.ipc.open_stream(chart.proto.data.data).read_all().to_pandas())
        frames += [
            pd.DataFrame(values) for values in json.loads(chart.proto.spec).get("datasets", {}).values()
        ]
        for frame in frames:
            if {"row_label", "body_name"} <= set(frame.columns):
                named = frame.body_name.map(lambda v: isinstance(v, str) and v != "")
                assert named.all() and frame.row_label.map(lambda v: not v.startswith(" ")).all()
                charted |= set(zip(frame.body_name, frame.row_label))
    # 杭州's cases are ranked beside 天津's: its bar, by the Chinese names, English measure label.
    assert ("中共杭州市委", "杭州 · Eight-point-rule cases investigated") in charted
    assert any(name == "CPC Tianjin Municipal Committee" for name, _ in charted)
    st.cache_data.clear()
    st.cache_resource.clear()


def test_a_second_file_reuses_the_new_body_and_rollbacks_follow_the_order(shop, tmp_path, pristine_db):
    code, err = shop.import_cli(FIRST, "first.csv", tmp_path)
    assert code == 0, err
    body, theme, group, indicator = ids(shop)
    code, err = shop.import_cli(SECOND, "second.csv", tmp_path)
    assert code == 0, err
    assert "added" not in err  # the body, theme and indicator are used, not added again
    first, second = shop.batches()
    history = shop.query("closure_history")
    history = history[history.body_id == body]
    assert [(r.as_of, r.closed) for r in history.itertuples()] == [("2019-11", 450), ("2019-12", 480)]
    cases = shop.query("cases")
    [people] = (
        cases[cases.body_id == body].query("indicator_id == 'people_held_accountable'").to_dict("records")
    )
    assert (people["group_key"], people["value"]) == ("people_held_accountable/count/person", 12)
    assert shop.one("SELECT count(*) FROM bodies WHERE name_zh = '中共杭州市委'") == (1,)

    before = shop.snapshot()
    code, err = run_cli("rollback", first.batch_id)
    assert code == 1
    assert f"imports/{second.batch_id}/measures.csv:2:body_id: unknown body_id '{body}'" in err
    assert "nothing was written" in err
    assert shop.snapshot() == before and shop.batches() == [first, second]

    assert run_cli("rollback", second.batch_id)[0] == 0
    assert run_cli("rollback", first.batch_id)[0] == 0
    assert shop.batches() == []
    assert tables_of(shop.db) == tables_of(pristine_db)  # as if neither had been imported


def test_a_batch_stored_before_this_change_still_builds_imports_and_rolls_back(shop, tmp_path, pristine_db):
    """A batch of the old format holds only sources, measures and figures: the later tables'
    files are missing, and read as empty."""
    tianjin = {
        **CASES,
        **{key: f"{value}（天津）" for key, value in SOURCE.items() if key != "source_published"},
        "body": "天津",
        "label_zh": "查处违反中央八项规定精神问题（十月）",
        "as_of": "2019-10",
    }
    checked, old = shop.import_([tianjin], "october.csv")
    assert old is not None, checked.problems
    for table in ("bodies", "themes", "comparable_groups", "indicators", "targets", "events"):
        (shop.imports / old.batch_id / f"{table}.csv").unlink()
    assert sorted(p.name for p in (shop.imports / old.batch_id).iterdir()) == [
        "batch.json",
        "figures.csv",
        "measures.csv",
        "sources.csv",
    ]
    code, err = run_cli("build")
    assert code == 0, err
    assert shop.one("SELECT count(*) FROM figures") == (CURATED_FIGURES + 1,)
    code, err = shop.import_cli(FIRST, "hangzhou.csv", tmp_path)
    assert code == 0, err
    assert shop.one("SELECT count(*) FROM figures") == (CURATED_FIGURES + 4,)
    assert run_cli("rollback", old.batch_id)[0] == 0
    assert shop.one("SELECT count(*) FROM figures") == (CURATED_FIGURES + 3,)
    [new] = shop.batches()
    assert run_cli("rollback", new.batch_id)[0] == 0
    assert tables_of(shop.db) == tables_of(pristine_db)


def test_a_damaged_batch_without_its_figures_is_still_an_error(shop):
    """Only the tables added later may be missing: a batch without figures.csv is damaged."""
    checked, batch = shop.import_(FIRST, "hangzhou.csv")
    assert batch is not None, checked.problems
    (shop.imports / batch.batch_id / "figures.csv").unlink()
    code, err = run_cli("build")
    assert code == 1
    assert f"imports/{batch.batch_id}/figures.csv:1:" in err


def test_a_new_indicator_joins_an_existing_group_with_its_caveat(shop):
    joining = {
        **CASES,
        "theme": "不作为不担当",
        "indicator": "问责干部人数",
        "indicator_name_en": "Cadres held accountable",
        "indicator_family": "people",
        "indicator_direction": "none",
        "comparable_group": "问责/处理人数",  # by its name
        "comparability": "caveat",
        "caveat_zh": "仅计干部，不含一般工作人员。",
        "caveat_en": "Cadres only; other staff are not counted.",
        "label_zh": "问责干部人数",
        "label_en": "Cadres held accountable",
        "value": "9",
        "counter": "名",
        "as_written": "9名",
        "evidence": "问责干部9名",
        **HANGZHOU,
    }
    checked, batch = shop.import_([joining], "joining.csv")
    assert batch is not None, checked.problems
    assert list(checked.added().what) == ["body", "indicator"]  # no group of its own
    cases = shop.query("cases")
    group = cases[cases.group_key == "people_held_accountable/count/person"]
    new = group[group.indicator_zh == "问责干部人数"].iloc[0]
    assert (new.comparability, new.caveat_en, new.value) == (
        "caveat",
        "Cadres only; other staff are not counted.",
        9,
    )
    assert {"tianjin", new.body_id} <= set(group.body_id)


# --- what staff get wrong -------------------------------------------------------------------------


def problems_of(shop: Shop, rows: list[dict[str, str]]) -> list[tuple[int, str, str]]:
    """(row, column, reason) of every problem of an import that must write nothing."""
    before = shop.snapshot()
    checked, batch = shop.import_(rows, "t.csv")
    assert batch is None
    assert shop.snapshot() == before
    return sorted((p.row, p.column, p.reason) for p in checked.problems)


def assert_problems(found: list[tuple[int, str, str]], expected: list[tuple[int, str, str]]) -> None:
    """Exactly the expected (row, column) pairs, each with a reason containing its keyword."""
    assert sorted((r, c) for r, c, _ in found) == sorted((r, c) for r, c, _ in expected), found
    for row, column, keyword in expected:
        reasons = [reason for r, c, reason in found if (r, c) == (row, column)]
        assert any(keyword in reason for reason in reasons), (keyword, reasons)


def test_conflicting_descriptions_are_reported_at_the_later_row(shop):
    rows = [
        HAZARD_TOTAL,  # row 2 describes all three
        {**HAZARD_CLOSED, "body_kind": "province"},  # row 3: another kind of body
        {**HAZARD_CLOSED, "theme_name_en": "Production safety", "as_of": "2019-12"},  # row 4
        {**HAZARD_CLOSED, "indicator_family": "outcomes", "as_of": "2020"},  # row 5
        {**HAZARD_CLOSED, "body_name_zh": "中共杭州市委", "indicator_direction": "up", "as_of": "2020-01"},
        {**CASES, "body": "天津", "body_kind": "local"},  # row 7: a stored body is not changed
    ]
    assert_problems(
        problems_of(shop, rows),
        [
            (3, "body_kind", "conflicts with row 2, which describes body '杭州' with body_kind 'local'"),
            (4, "theme_name_en", "conflicts with row 2, which describes theme '安全生产' with theme_name_en"),
            (5, "indicator_family", "conflicts with row 2, which describes indicator '安全隐患整改'"),
            (7, "body_kind", "body '天津' exists with body_kind 'province'; an import does not change it"),
        ],
    )


NO_GROUP = {"indicator_definition_zh": ""}
BAD_DESCRIPTIONS = {
    # id: (changes to HAZARD_TOTAL, [(row, column, keyword of the reason)])
    "unknown kind of body": (
        {"body_kind": "city"},
        [(2, "body_kind", "unknown kind of body 'city': use one of province (省区市), local (市县)")],
    ),
    "new body without its kind": (
        {"body_kind": ""},
        [(2, "body_kind", "required for a new body: one of province (省区市)")],
    ),
    "a name another body has": (
        {"body_name_zh": "天津市委"},
        [(2, "body_name_zh", "'天津市委' is already the name of body 'tianjin'")],
    ),
    "family not in the dictionary": (
        {"indicator_family": "case"},
        [(2, "indicator_family", "'case' is not one of cases, people, clues")],
    ),
    "family missing": ({"indicator_family": ""}, [(2, "indicator_family", "required value is empty")]),
    "direction not up, down or none": (
        {"indicator_direction": "better"},
        [(2, "indicator_direction", "'better' is not one of up, down, none")],
    ),
    "direction taken from the measure's column": (
        {"indicator_direction": "", "direction": "upp"},
        [(2, "direction", "'upp' is not one of up, down, none (did you mean 'up'?)")],
    ),
    "new group without a definition": (
        {"indicator_definition_zh": ""},
        [(2, "indicator_definition_zh", "required value is empty")],
    ),
    "unknown comparable group": (
        {"comparable_group": "问责人数组", **NO_GROUP},
        [(2, "comparable_group", "unknown comparable_group '问责人数组'")],
    ),
    "joining without comparability": (
        {"comparable_group": "people_held_accountable", **NO_GROUP},
        [(2, "comparability", "required value is empty")],
    ),
    "caveat without its text": (
        {"comparable_group": "people_held_accountable", "comparability": "caveat", **NO_GROUP},
        [
            (2, "caveat_zh", "required when comparability is 'caveat'"),
            (2, "caveat_en", "required when comparability is 'caveat'"),
        ],
    ),
    "caveat in a group of its own": (
        {"comparability": "caveat", "caveat_zh": "口径不同", "caveat_en": "differs"},
        [(2, "comparability", "is a group of its own")],
    ),
    "another definition for a group joined": (
        {"comparable_group": "people_held_accountable", "comparability": "same"},
        [(2, "indicator_definition_zh", "the comparable group 'people_held_accountable' is defined as")],
    ),
    "new theme without its English name": (
        {"theme_name_en": ""},
        [(2, "theme", "unknown theme '安全生产': to add it, fill theme_name_en")],
    ),
}


@pytest.mark.parametrize("case", list(BAD_DESCRIPTIONS))
def test_bad_descriptions_are_reported_at_their_row_and_column(shop, case):
    changes, expected = BAD_DESCRIPTIONS[case]
    assert_problems(problems_of(shop, [{**HAZARD_TOTAL, **changes}]), expected)


# --- "did you mean": only for close names ------------------------------------------------------------

# Realistic misses, measured when the rule was chosen: the name staff type -> the known name it
# misspells, or None where it names another body (theme, indicator) that is not known yet.
MISSES = {
    "body": [
        ("天津市", "天津市委"),
        ("中共天津市委", "天津市委"),
        ("天津市委员会", "天津市委"),
        ("内蒙古党委", "内蒙古自治区党委"),
        ("国家卫健委党组", "国家卫生健康委党组"),
        ("中央第二十七指导", "中央第二十七指导组"),
        ("Tianjn", "Tianjin"),
        ("Inner Mongola", "Inner Mongolia"),
        ("杭州市委", None),  # another city: only 市委 in common
        ("南京市委", None),
        ("交通运输部党组", None),  # another ministry: only 部党组 in common
        ("自然资源部党组", None),
        ("上海市委组织部", None),  # a department of 上海市委, not 上海市委
        ("天津市河西区委", None),
        ("中央第二指导组", None),  # another number
        ("CPC Hangzhou Municipal Committee", None),  # Hangzhou stands where Shanghai does
    ],
    "theme": [
        ("为民服务解难", "为民服务解难题"),
        ("巡视督察反馈整改", "巡视·督察反馈整改"),
        ("安全生产", None),
    ],
    "indicator": [("查处问题", "查处问题（起/件）"), ("群众诉求办结率", "群众诉求办结"), ("热线办结", None)],
}


@pytest.fixture(scope="module")
def resolver() -> ingest.Resolver:
    tables = ("bodies", "themes", "indicators", "body_kinds", "comparable_groups")
    return ingest.Resolver({table: curated.read_csv_text(DATA_DIR / f"{table}.csv") for table in tables})


@pytest.mark.parametrize(
    ("what", "typed", "meant"), [(w, t, m) for w, misses in MISSES.items() for t, m in misses]
)
def test_did_you_mean_only_for_close_names(resolver, what, typed, meant):
    found, reason = resolver(what, typed)
    assert found is None
    assert ingest.close_name(typed, resolver.ids[what]) == meant
    if meant is None:
        assert "did you mean" not in reason
        assert reason.startswith(f"unknown {what} {typed!r}: to add it, fill ")
    else:
        assert reason.startswith(
            f"unknown {what} {typed!r} (did you mean {meant!r}?); if it is a new {what}, fill "
        )


def test_a_far_name_says_how_to_add_it_in_the_import(shop):
    far = problems_of(shop, [{**CASES, "body": "宁波市委"}])
    assert far == [
        (
            2,
            "body",
            "unknown body '宁波市委': to add it, fill body_kind (and optionally body_name_zh, body_name_en, "
            "body_short_en, body_region) in this row",
        )
    ]


def test_a_new_body_is_suggested_for_a_near_miss_in_a_later_row(shop):
    rows = [HAZARD_TOTAL, {**HAZARD_CLOSED, "body": "中共杭州市"}]
    assert_problems(problems_of(shop, rows), [(3, "body", "(did you mean '中共杭州市委'?)")])


# --- the template -------------------------------------------------------------------------------


def test_the_template_guide_explains_the_new_columns():
    book = openpyxl.load_workbook(io.BytesIO(ingest.template("xlsx")))
    guide = {r[0]: r[2] for r in book["说明 guide"].iter_rows(min_row=2, values_only=True)}
    for column in [c for columns in ingest.DESCRIBING.values() for c in columns]:
        assert guide[column], column
    families = next(c for c in curated.dictionary()["indicators"] if c.name == "family").choices
    assert all(family in guide["indicator_family"] for family in families)
    assert "local" in guide["body_kind"] and "市县" in guide["body_kind"]
