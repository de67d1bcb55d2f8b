"""Progress between reports (metrics/progress.py): time travel, change, rank and rank change with
ties, lights at their boundaries, targets imported and rolled back.

The fixture is the curated data with later reports of two comparable groups added by hand. Every
expected number below is worked out by hand from those figures (in the comments), never by the
code under test.

Inspection-feedback closures (group inspection_feedback_closure/closure_rate, higher is better):

    measure (body)          2019            2020-03-01    2020-06-01   2020-09-01      2020-11-01
    im_insp (内蒙古)        141/171 82.456                                150/171 87.719   150/171 87.719
    im_env  (内蒙古)        9/(9+17) 34.615 20/26 76.923               26/26  100
    mca     (民政部)        14/79  17.722   60/79 75.949  70/79 88.608  79/79  100

(a total not reported again is carried from the last report: metrics/schema.py)

Case counts (group cases/count/item, all 天津, no good direction: largest first): inaction
166起 -> 200起 and umbrella 125件 -> 200件 on 2020-03-01; eight_point 91件 and grassroots 80起
only in 2019.

Targets: every body, inspection_feedback_closure >= 90 % by 2020-12 (the end of 2020-12-31);
民政部's own >= 100 % by 2020-06-30; 天津 cases <= 200 起 (the item family: 件 too), no deadline.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest
import streamlit as st
from conftest import DATA_DIR, CsvEditor
from streamlit.testing.v1 import AppTest
from test_charts import valid_spec
from test_pages import download_buttons, media  # noqa: F401 (media: a fixture of test_pages)

from metrics import cli, paths, queries
from metrics.progress import LIGHTS
from metrics.queries import Filters
from metrics.store import Store

INSPECTION = "inspection_feedback_closure/closure_rate"
CASES = "cases/count/item"
IM_INSP, IM_ENV, MCA = (
    "inner_mongolia_inspection_closure",
    "inner_mongolia_env_inspection_closure",
    "mca_inspection_tasks_closure",
)
INACTION, UMBRELLA, EIGHT, GRASSROOTS = (
    "tianjin_inaction_cases",
    "tianjin_umbrella_cases",
    "tianjin_eight_point_cases",
    "tianjin_grassroots_corruption_cases",
)
LATER_REPORTS = [
    # measure, role, value, counter, as_of
    (MCA, "closed", 60, "项", "2020-03-01"),
    (IM_ENV, "total", 26, "项", "2020-03-01"),
    (IM_ENV, "closed", 20, "项", "2020-03-01"),
    (INACTION, "value", 200, "起", "2020-03-01"),
    (UMBRELLA, "value", 200, "件", "2020-03-01"),
    (MCA, "closed", 70, "项", "2020-06-01"),
    (IM_ENV, "closed", 26, "项", "2020-09-01"),
    (MCA, "closed", 79, "项", "2020-09-01"),
    (IM_INSP, "closed", 150, "个", "2020-09-01"),
    (IM_INSP, "closed", 150, "个", "2020-11-01"),
]
TARGETS = [
    # target_id, indicator_id, body_id, comparison, value, counter, deadline
    ("t_all_90", "inspection_feedback_closure", "", "at_least", "90", "%", "2020-12"),
    ("t_mca_100", "inspection_feedback_closure", "mca", "at_least", "100", "%", "2020-06-30"),
    ("t_tianjin_cases", "cases", "tianjin", "at_most", "200", "起", ""),
]
NO_STALE = 10_000  # days: no report is stale


def add_reports(edit: CsvEditor, targets: bool = True) -> None:
    edit.append(
        "sources",
        {
            "source_id": "progress_fixture",
            "title": "进度测试报告",
            "publisher": "测试",
            "published": "2020",
            "reference": "tests/test_progress.py",
        },
    )
    for n, (measure, role, value, counter, as_of) in enumerate(LATER_REPORTS, start=1):
        written = f"{value}{counter}"
        edit.append(
            "figures",
            {
                "figure_id": f"p{n:03d}",
                "measure_id": measure,
                "role": role,
                "value": str(value),
                "counter": counter,
                "qualifier": "exact",
                "as_written": written,
                "as_of": as_of,
                "source_id": "progress_fixture",
                "evidence": f"截至{as_of}，共{written}",
            },
        )
    if targets:
        for target_id, indicator, body, comparison, value, counter, deadline in TARGETS:
            edit.append(
                "targets",
                {
                    "target_id": target_id,
                    "indicator_id": indicator,
                    "body_id": body,
                    "comparison": comparison,
                    "value": value,
                    "counter": counter,
                    "deadline": deadline,
                    "set_on": "2019",  # before every report: the lights below are not about set_on
                },
            )


@pytest.fixture(scope="module")
def progress_db(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("progress")
    data = folder / "data"
    data.mkdir()
    for path in DATA_DIR.glob("*.csv"):
        (data / path.name).write_bytes(path.read_bytes())
    add_reports(CsvEditor(data))
    db = folder / "metrics.duckdb"
    Store(db, data_dir=data, sources_dir=paths.sources_dir(), imports_dir=folder / "imports").build()
    return db


@pytest.fixture
def pcon(progress_db):
    connection = duckdb.connect(str(progress_db), read_only=True)
    yield connection
    connection.close()


def standing(con, as_of: str, group: str = INSPECTION, stale_days: int = NO_STALE) -> pd.DataFrame:
    frame = queries.progress(con, Filters(as_of=as_of), stale_days)
    return frame[frame.group_key == group].set_index("measure_id")


def close(a, b) -> bool:
    return abs(a - b) < 1e-3


# --- time travel -----------------------------------------------------------------------------------


def test_before_any_later_report_only_the_2019_figures_stand(pcon):
    rows = standing(pcon, "2019-12-31")
    assert close(rows.loc[IM_INSP, "value"], 82.456)  # 141/171
    assert close(rows.loc[IM_ENV, "value"], 34.615)  # 9/(9+17)
    assert close(rows.loc[MCA, "value"], 17.722)  # 14/79
    assert rows.previous.isna().all() and rows.rank_change.isna().all()  # one report each, one date
    assert list(rows.loc[[IM_INSP, IM_ENV, MCA], "rank"]) == [1, 2, 3]


def test_time_travel_takes_the_latest_report_at_or_before_the_date(pcon):
    between = standing(pcon, "2020-07-15")  # the picture of 2020-06-01
    assert between.loc[MCA, "as_of"] == "2020-06-01"
    assert close(between.loc[MCA, "value"], 88.608)  # 70/79
    assert between.loc[MCA, "previous_as_of"] == "2020-03-01"
    assert close(between.loc[MCA, "previous"], 75.949)  # 60/79
    assert close(between.loc[MCA, "change"], 12.658)  # points
    assert between.loc[IM_ENV, "as_of"] == "2020-03-01"
    on_the_day = standing(pcon, "2020-06-01")
    assert on_the_day.loc[MCA, "as_of"] == "2020-06-01"  # a report on the date counts
    day_before = standing(pcon, "2020-05-31")
    assert day_before.loc[MCA, "as_of"] == "2020-03-01"


def test_latest_views_travel_too(pcon):
    """The closure page's query at a date: each measure's last report at or before it."""
    closures = queries.closures(pcon, Filters(as_of="2020-03-01")).set_index("measure_id")
    assert (closures.loc[MCA, "closed"], closures.loc[MCA, "total"]) == (60, 79)
    assert closures.loc[IM_INSP, "as_of"] == "2019"
    latest = queries.closures(pcon).set_index("measure_id")
    assert latest.loc[MCA, "closed"] == 79
    figures = queries.figures(pcon, Filters(as_of="2019-12-31"))
    assert not figures.figure_id.str.startswith("p").any()


def test_change_is_percent_for_counts_and_points_for_rates(pcon):
    cases = standing(pcon, "2020-03-01", CASES)
    assert close(cases.loc[INACTION, "change"], 20.482)  # (200 - 166) / 166 * 100
    assert close(cases.loc[UMBRELLA, "change"], 60.0)  # (200 - 125) / 125 * 100
    assert set(cases.change_unit) == {"percent"}
    rates = standing(pcon, "2020-03-01")
    assert close(rates.loc[IM_ENV, "change"], 42.308)  # 76.923 - 34.615
    assert set(rates.change_unit) == {"points"}


# --- ranks and rank changes ---------------------------------------------------------------------------


def test_rank_change_against_the_groups_previous_standing(pcon):
    # 2020-06-01: mca 88.608 (1), im_insp 82.456 (2), im_env 76.923 (3); the standing of
    # 2020-03-01 was im_insp 1, im_env 2, mca 3.
    rows = standing(pcon, "2020-06-01")
    assert list(rows.loc[[MCA, IM_INSP, IM_ENV], "rank"]) == [1, 2, 3]
    assert list(rows.loc[[MCA, IM_INSP, IM_ENV], "rank_change"]) == [2, -1, -1]
    assert set(rows.group_size) == {3}


def test_ties_share_the_best_rank_and_the_next_rank_skips(pcon):
    # 2020-09-01: im_env 100 and mca 100 tie at 1, im_insp 87.719 is 3rd (not 2nd); the
    # standing of 2020-06-01 was mca 1, im_insp 2, im_env 3.
    rows = standing(pcon, "2020-09-01")
    assert list(rows.loc[[IM_ENV, MCA, IM_INSP], "rank"]) == [1, 1, 3]
    assert list(rows.loc[[IM_ENV, MCA, IM_INSP], "rank_change"]) == [2, 0, -1]


def test_tied_counts_of_two_counters_of_one_family(pcon):
    # 200起 and 200件 tie at 1; 91 is 3rd, 80 4th. In 2019: 166 (1), 125 (2), 91 (3), 80 (4).
    rows = standing(pcon, "2020-03-01", CASES)
    assert list(rows.loc[[INACTION, UMBRELLA, EIGHT, GRASSROOTS], "rank"]) == [1, 1, 3, 4]
    assert list(rows.loc[[INACTION, UMBRELLA, EIGHT, GRASSROOTS], "rank_change"]) == [0, 1, 0, 0]


def test_ranks_cover_the_whole_group_whatever_the_filters(pcon):
    only_mca = queries.progress(pcon, Filters(bodies=("mca",), as_of="2020-06-01"), NO_STALE)
    row = only_mca[only_mca.group_key == INSPECTION].iloc[0]
    assert (row["rank"], row["group_size"]) == (1, 3)


# --- lights at their boundaries -----------------------------------------------------------------------


def light(con, as_of: str, measure: str, stale_days: int = NO_STALE, group: str = INSPECTION) -> str:
    return standing(con, as_of, group, stale_days).loc[measure, "light"]


def test_behind_and_improving_is_yellow_behind_without_a_previous_report_is_red(pcon):
    assert light(pcon, "2020-06-01", IM_ENV) == "yellow"  # 76.923 < 90, up from 34.615
    assert light(pcon, "2020-06-01", IM_INSP) == "red"  # 82.456 < 90, one report: no improvement shown


def test_a_value_equal_to_its_previous_is_not_improving(pcon):
    assert light(pcon, "2020-09-01", IM_INSP) == "yellow"  # 87.719 < 90, up from 82.456
    assert light(pcon, "2020-11-01", IM_INSP) == "red"  # 87.719 again: not improving


def test_on_target_exactly_is_green_for_at_least_and_at_most(pcon):
    assert light(pcon, "2020-09-01", MCA) == "green"  # 100 >= its own 100 (after its deadline)
    assert light(pcon, "2020-09-01", IM_ENV) == "green"  # 100 >= 90
    assert light(pcon, "2020-03-01", INACTION, group=CASES) == "green"  # 200起 <= 200
    assert light(pcon, "2020-03-01", UMBRELLA, group=CASES) == "green"  # 200件 <= 200起: one family


def test_a_bodys_own_target_beats_the_one_for_every_body(pcon):
    rows = standing(pcon, "2020-06-01")
    assert rows.loc[MCA, "target_id"] == "t_mca_100"
    assert rows.loc[IM_ENV, "target_id"] == "t_all_90"
    assert light(pcon, "2020-06-01", MCA) == "yellow"  # 88.608 < 100, up from 75.949, deadline not passed


def test_past_the_deadline_behind_is_red_even_when_improving(pcon):
    assert light(pcon, "2020-06-30", MCA) == "yellow"  # the deadline day itself is not past it
    assert light(pcon, "2020-07-01", MCA) == "red"
    # 2020-12 means 2020-12-31: im_insp 87.719 < 90 (not improving since 2020-11-01 anyway)
    assert standing(pcon, "2020-12-31").loc[IM_INSP, "deadline_date"] == pd.Timestamp("2020-12-31")


def test_stale_after_more_than_n_days_behind_the_groups_newest_report(pcon):
    # 2020-11-01 is the group's newest report; im_env last reported 2020-09-01: 61 days before.
    assert light(pcon, "2020-11-01", IM_ENV, stale_days=61) == "green"
    assert light(pcon, "2020-11-01", IM_ENV, stale_days=60) == "stale"
    assert standing(pcon, "2020-11-01").loc[IM_ENV, "days_since"] == 61


def test_without_a_target_the_light_says_so(pcon):
    rows = queries.progress(pcon, Filters(as_of="2020-03-01"), NO_STALE)
    untargeted = rows[~rows.indicator_id.isin(["inspection_feedback_closure", "cases"])]
    assert set(untargeted.light) == {"no_target"}
    assert untargeted.target.isna().all()


def test_light_tallies_per_group(pcon):
    tallies = queries.progress_lights(pcon, Filters(as_of="2020-06-01"), "group").set_index("tally_id")
    # stale after 30 days: im_insp (2019) and im_env (2020-03-01) are stale, mca is yellow
    row = tallies.loc[INSPECTION]
    assert (row.green, row.yellow, row.red, row.stale, row.measures) == (0, 1, 0, 2, 3)


@pytest.mark.parametrize("as_of", ["2020-03-01", "2020-06-01", "2020-09-01", None])
def test_the_tally_of_all_counts_each_measures_light_and_who_slipped(pcon, as_of):
    f = Filters(as_of=as_of)
    standing = queries.progress(pcon, f)
    [tally] = queries.progress_lights(pcon, f, "all").to_dict("records")
    counts = standing.light.value_counts()
    assert {light: tally[light] for light in LIGHTS} == {light: counts.get(light, 0) for light in LIGHTS}
    assert tally["slipped"] == (standing.rank_change < 0).sum()
    assert tally["measures"] == len(standing) > 0


@pytest.mark.parametrize("day", ["2020-12-31", "2031-06-01"])
def test_the_stored_standing_is_the_standing_from_the_history_after_the_last_report(pcon, day):
    # progress_now reads the stored progress_standing; progress_at computes it from the history
    (newest,) = pcon.execute("SELECT max(as_of_date) FROM progress_history").fetchone()
    assert str(newest) <= day
    stored, computed = (
        pcon.execute(f"SELECT * FROM {macro}($day::DATE, 30) ORDER BY measure_id", {"day": day}).df()
        for macro in ("progress_now", "progress_at")
    )
    assert len(stored) > 0
    pd.testing.assert_frame_equal(stored, computed)


def test_progress_reads_the_stored_standing_only_at_or_after_the_last_report(pcon):
    (newest,) = pcon.execute("SELECT max(as_of_date) FROM progress_history").fetchone()
    assert queries.progress_relation(pcon, Filters()).startswith("progress_now(")
    assert queries.progress_relation(pcon, Filters(as_of=str(newest))).startswith("progress_now(")
    before = (newest - pd.Timedelta(days=1)).isoformat()
    assert queries.progress_relation(pcon, Filters(as_of=before)).startswith("progress_at(")


def test_the_tally_of_all_is_empty_when_nothing_is_in_view(pcon):
    assert queries.progress_lights(pcon, Filters(bodies=("no_such_body",)), "all").empty


# --- the command line ---------------------------------------------------------------------------------


def test_cli_prints_the_ranked_table(progress_db, capsysbinary, monkeypatch):
    monkeypatch.setenv("METRICS_IMPORTS_DIR", str(progress_db.parent / "imports"))
    status = cli.main(["progress", "--db", str(progress_db), "--as-of", "2020-06-01", "--body", "民政部"])
    assert status == 0
    out = pd.read_csv(pd.io.common.BytesIO(capsysbinary.readouterr().out), dtype=str)
    for column in ("group", "body_zh", "value", "as_of", "previous", "previous_as_of", "change"):
        assert column in out.columns
    assert {"rank", "rank_change", "light"} <= set(out.columns)
    mca = out[out.group == INSPECTION].iloc[0]
    assert (mca.body_zh, mca.as_of, mca.previous_as_of, mca["rank"], mca.rank_change) == (
        "民政部党组",
        "2020-06-01",
        "2020-03-01",
        "1",
        "2",
    )


def test_cli_refuses_an_unknown_name(progress_db, capsys, monkeypatch):
    monkeypatch.setenv("METRICS_IMPORTS_DIR", str(progress_db.parent / "imports"))
    assert cli.main(["progress", "--db", str(progress_db), "--body", "没有这个单位"]) == 2
    assert "unknown body" in capsys.readouterr().err


# --- targets through the checked import -----------------------------------------------------------------


def targets_csv(*rows: dict) -> bytes:
    header = ["indicator", "body", "comparison", "target", "counter", "deadline", "set_on", "note"]
    lines = [",".join(header)] + [",".join(row.get(c, "") for c in header) for row in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


@pytest.fixture
def target_store(tmp_path) -> Store:
    data = tmp_path / "data"
    data.mkdir()
    for path in DATA_DIR.glob("*.csv"):
        (data / path.name).write_bytes(path.read_bytes())
    add_reports(CsvEditor(data), targets=False)
    store = Store(tmp_path / "metrics.duckdb", data, paths.sources_dir(), tmp_path / "imports")
    store.build()
    return store


def lights(store: Store, as_of: str) -> dict[str, str]:
    with store.connect() as con:
        rows = queries.progress(con, Filters(as_of=as_of), NO_STALE)
    return dict(zip(rows.measure_id, rows.light))


def test_targets_imported_light_measures_and_roll_back(target_store):
    assert lights(target_store, "2020-06-01")[MCA] == "no_target"
    data = targets_csv(
        {
            "indicator": "巡视督察反馈问题整改",
            "comparison": "≥",
            "target": "90",
            "counter": "%",
            "deadline": "2020-12",
            "set_on": "2020-01-01",
        },
        {
            "indicator": "inspection_feedback_closure",
            "body": "民政部",
            "comparison": "at_least",
            "target": "85",
            "counter": "%",
            "set_on": "2020-01-01",
        },
    )
    checked, batch = target_store.import_file(data, "targets.csv")
    assert checked.problems == [] and batch is not None
    assert len(checked.tables["targets"]) == 2 and checked.tables["figures"].empty
    after = lights(target_store, "2020-06-01")
    assert (after[MCA], after[IM_ENV], after[IM_INSP]) == ("green", "yellow", "red")  # 88.6 >= 85; see above
    assert after[INACTION] == "no_target"
    target_store.rollback(batch.batch_id)
    assert lights(target_store, "2020-06-01")[MCA] == "no_target"
    assert target_store.batches() == []


def test_a_target_applies_from_the_day_it_was_set(target_store):
    # 民政部 ≥ 85 % set on 2020-06-01: the standing of 2020-06-01 (88.6, up from 75.9) is green;
    # the day before, the same report of 2020-03-01 (75.9) had no target to light it.
    data = targets_csv(
        {
            "indicator": "inspection_feedback_closure",
            "body": "民政部",
            "comparison": "≥",
            "target": "85",
            "counter": "%",
            "set_on": "2020-06-01",
        }
    )
    checked, batch = target_store.import_file(data, "targets.csv")
    assert batch is not None, checked.problems
    assert lights(target_store, "2020-05-31")[MCA] == "no_target"
    assert lights(target_store, "2020-06-01")[MCA] == "green"
    assert lights(target_store, "2020-09-01")[MCA] == "green"


def test_a_target_without_set_on_applies_from_the_day_of_its_import(target_store):
    from datetime import UTC, datetime, timedelta

    data = targets_csv(
        {"indicator": "inspection_feedback_closure", "comparison": "≥", "target": "90", "counter": "%"}
    )
    checked, batch = target_store.import_file(data, "targets.csv")
    today = datetime.now(UTC).date()
    assert list(checked.tables["targets"].set_on) == [today.isoformat()]
    assert lights(target_store, "2020-11-01")[IM_INSP] == "no_target"  # long before the import
    yesterday = (today - timedelta(days=1)).isoformat()
    assert lights(target_store, yesterday)[IM_INSP] == "no_target"
    assert lights(target_store, today.isoformat())[IM_INSP] != "no_target"


def test_a_bad_set_on_is_refused_by_its_column(target_store):
    data = targets_csv(
        {
            "indicator": "inspection_feedback_closure",
            "comparison": "≥",
            "target": "90",
            "counter": "%",
            "set_on": "2020-02-30",
        }
    )
    checked, batch = target_store.import_file(data, "bad.csv")
    assert batch is None and (2, "set_on") in {(p.row, p.column) for p in checked.problems}


def test_cli_imports_a_targets_file_and_counts_targets(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("METRICS_DB", str(tmp_path / "metrics.duckdb"))
    monkeypatch.setenv("METRICS_IMPORTS_DIR", str(tmp_path / "imports"))
    assert cli.main(["build"]) == 0
    path = tmp_path / "targets.csv"
    path.write_bytes(
        targets_csv(
            {"indicator": "inspection_feedback_closure", "comparison": "≥", "target": "90", "counter": "%"},
            {
                "indicator": "inspection_feedback_closure",
                "body": "民政部",
                "comparison": "≥",
                "target": "100",
                "counter": "%",
            },
        )
    )
    capsys.readouterr()
    assert cli.main(["import", "--dry-run", str(path)]) == 0
    assert "2 targets OK (dry run; nothing written)" in capsys.readouterr().err
    assert cli.main(["import", str(path)]) == 0
    assert "imported 2 targets from" in capsys.readouterr().err
    assert cli.main(["batches"]) == 0
    [listed] = list(pd.read_csv(pd.io.common.StringIO(capsys.readouterr().out), dtype=str).itertuples())
    assert (listed.rows, listed.kind) == ("2", "targets")
    assert cli.main(["rollback", listed.batch_id]) == 0
    assert f"rolled back {listed.batch_id} (2 targets from targets.csv)" in capsys.readouterr().err


def test_a_bad_targets_file_is_refused_row_by_row(target_store):
    data = targets_csv(
        {"indicator": "巡视督察反馈问题整", "comparison": "≥", "target": "90", "counter": "%"},
        {
            "indicator": "inspection_feedback_closure",
            "comparison": "about",
            "target": "ninety",
            "counter": "%",
        },
        {"indicator": "inspection_feedback_closure", "comparison": "≥", "target": "90", "counter": "件"},
        {
            "indicator": "inspection_feedback_closure",
            "body": "天津",
            "comparison": "≥",
            "target": "90",
            "counter": "%",
        },
        {
            "indicator": "inspection_feedback_closure",
            "comparison": "≥",
            "target": "90",
            "counter": "%",
            "deadline": "2020-13",
        },
    )
    checked, batch = target_store.import_file(data, "bad.csv")
    assert batch is None
    found = {(p.row, p.column) for p in checked.problems}
    assert {
        (2, "indicator"),
        (3, "comparison"),
        (3, "target"),
        (4, "counter"),
        (5, "body"),
        (6, "deadline"),
    } <= found
    assert (6, "indicator") in found  # a second target for the indicator, body and counter of row 3
    assert any("did you mean '巡视督察反馈问题整改'" in p.reason for p in checked.problems)
    assert all(str(p).startswith("bad.csv:") for p in checked.problems)
    assert target_store.batches() == []


def test_targets_template_names_every_column():
    from metrics import targets

    header = targets.template("csv").decode("utf-8-sig").strip().split(",")
    assert header == list(targets.TARGET_COLUMNS)


# --- events through the checked import ------------------------------------------------------------------


def events_csv(*rows: dict) -> bytes:
    header = ["date", "title_zh", "title_en", "body", "kind", "note"]
    lines = [",".join(header)] + [",".join(row.get(c, "") for c in header) for row in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


EVENTS = events_csv(
    {"date": "2020-03-01", "title_zh": "第二轮巡视启动", "title_en": "Second inspection round"},
    {"date": "2020-05", "title_zh": "民政部专项督查", "body": "民政部"},
    {"date": "2020-06-02", "title_zh": "省级党委集中整改", "kind": "省区市"},
)


def marked(store: Store, as_of: str, measures=(MCA, IM_ENV)) -> set[tuple[str, str]]:
    with store.connect() as con:
        rows = queries.progress_events(con, list(measures), Filters(as_of=as_of))
    return set(zip(rows.measure_id, rows.title_zh))


def test_events_imported_mark_the_trends_they_concern_and_roll_back(target_store):
    checked, batch = target_store.import_file(EVENTS, "events.csv")
    assert checked.problems == [] and batch is not None
    assert (checked.kind, batch.kind, batch.rows) == ("events", "events", 3)
    assert len(checked.tables["events"]) == 3 and checked.tables["figures"].empty
    # every body's event marks both; 民政部's only its own; the provinces' only 内蒙古 (im_env);
    # the date bounds them: 2020-05 counts from 2020-05-01, 2020-06-02 is after 2020-06-01
    assert marked(target_store, "2020-06-01") == {
        (MCA, "第二轮巡视启动"),
        (IM_ENV, "第二轮巡视启动"),
        (MCA, "民政部专项督查"),
    }
    assert marked(target_store, "2020-04-30") == {(MCA, "第二轮巡视启动"), (IM_ENV, "第二轮巡视启动")}
    assert (IM_ENV, "省级党委集中整改") in marked(target_store, "2020-06-02")
    with target_store.connect() as con:
        events = queries.progress_events(con, [MCA], Filters(as_of="2020-06-01")).set_index("title_zh")
    assert events.loc["民政部专项督查", "title_en"] == "民政部专项督查"  # no English title: the Chinese
    target_store.rollback(batch.batch_id)
    assert marked(target_store, "2020-12-31") == set()
    assert target_store.batches() == []


def test_a_bad_events_file_is_refused_row_by_row(target_store):
    data = events_csv(
        {"date": "2020-13-01", "title_zh": "月份不对"},
        {"date": "2020-03-01", "title_zh": "单位不对", "body": "民政"},
        {"date": "2020-03-01", "title_zh": "类别不对", "kind": "省份"},
        {"date": "", "title_zh": "没有日期"},
        {"date": "2020-03-01", "title_zh": ""},
    )
    checked, batch = target_store.import_file(data, "bad-events.csv")
    assert batch is None
    found = {(p.row, p.column) for p in checked.problems}
    assert {(2, "date"), (3, "body"), (4, "kind"), (5, "date"), (6, "title_zh")} <= found, found
    assert all(str(p).startswith("bad-events.csv:") for p in checked.problems)
    assert target_store.batches() == []


def test_events_are_rules_on_the_trend_charts(target_store):
    from metrics import charts, labels

    target_store.import_file(EVENTS, "events.csv")
    with target_store.connect() as con:
        at = Filters(as_of="2020-06-01")
        history = labels.progress_history(
            queries.progress_trends(con, [MCA], at), "en", queries.progress_events(con, [MCA], at)
        )
    rules = history.dropna(subset=["event_label"])
    assert list(rules.event_label) == ["Second inspection round", "民政部专项督查"]
    spec = valid_spec(charts.progress_trends_chart(history, "en"))
    marks = [layer["mark"]["type"] for layer in spec["spec"]["layer"]]
    assert marks == ["rule", "line"]
    tooltip = {t["field"] for t in spec["spec"]["layer"][0]["encoding"]["tooltip"]}
    assert tooltip == {"event_label", "event_date"}


def test_events_template_names_every_column():
    from metrics import events

    header = events.template("csv").decode("utf-8-sig").strip().split(",")
    assert header == list(events.EVENT_COLUMNS)


# --- the briefing of 进度, as of a date ---------------------------------------------------------------


def test_brief_of_progress_prints_the_ranked_table_with_lights(progress_db, tmp_path, monkeypatch):
    from test_brief import flat, text_of, tools  # noqa: F401 (tools: the fixture skipping without chromium)

    monkeypatch.setenv("METRICS_IMPORTS_DIR", str(progress_db.parent / "imports"))
    out = tmp_path / "progress.pdf"
    status = cli.main(
        ["brief", "--db", str(progress_db), "--page", "progress", "--as-of", "2020-06-01", "--out", str(out)]
    )
    assert status == 0
    text = flat(text_of(out))
    assert "截至日期：2020-06-01" in text and "progress?as_of=2020-06-01" in text
    # the rows of 2020-06-01 (see test_page_travels_to_the_date_in_the_url): mca yellow, moved up
    # two places; im_env not reported for 92 days; inaction green
    table = text[text.index("数据表") :]  # cells wrap inside their columns: each is checked alone
    for cell in ("▲落后但在改善", "民政部", "○92天未报送", "内蒙古", "✔达标", "天津", "↑2", "+12.7个"):
        assert cell in table, cell
    assert "○517天未报送" in table  # im_insp, last reported in 2019
    english = tmp_path / "progress-en.pdf"
    assert (
        cli.main(
            ["brief", "--db", str(progress_db), "--page", "progress", "--lang", "en", "--out", str(english)]
        )
        == 0
    )
    text = flat(text_of(english))
    assert "CivilAffairs" in text and "ontarget" in text
    assert "as_of" not in text  # today: no date in the link


# --- the 进度 page (AppTest) -----------------------------------------------------------------------------


def open_progress(db: Path, monkeypatch, **query) -> AppTest:
    monkeypatch.setenv("METRICS_DB", str(db))
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file("../dashboard.py", default_timeout=90)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    at.switch_page("metrics/ui/pages/progress.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def tiles(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_page_at_seed_scale_says_one_report_per_measure(monkeypatch, tmp_path):
    db = tmp_path / "seed.duckdb"
    Store(db, data_dir=DATA_DIR, sources_dir=paths.sources_dir(), imports_dir=tmp_path / "imports").build()
    at = open_progress(db, monkeypatch)
    assert any("目前每项指标只有一次报告" in i.value for i in at.info)
    assert tiles(at)[":gray[–] 未设目标"] == "90" and tiles(at)[":red[↓] 排名下降"] == "0"
    ranked = at.dataframe[0].value
    assert len(ranked) == 90 and set(ranked["状态"]) == {"– 未设目标"}


def test_page_travels_to_the_date_in_the_url(progress_db, monkeypatch):
    at = open_progress(progress_db, monkeypatch, as_of="2020-06-01")
    assert any("2020-06-01" in i.value for i in at.info)  # the time-travel notice
    # 2020-06-01, stale after 30 days: mca yellow (88.6 < its 100, up from 75.9); im_insp (2019) and
    # im_env (2020-03-01) behind their group's newest 2020-06-01 by more than 30 days, and in the
    # cases group (newest 2020-03-01) eight_point and grassroots (2019): stale; inaction and
    # umbrella (200 <= 200) green.
    assert (
        tiles(at)[":orange[▲] 落后但在改善"],
        tiles(at)[":green[✔] 达标"],
        tiles(at)[":gray[○] 逾期未报"],
    ) == (
        "1",
        "2",
        "4",
    )
    assert tiles(at)[":red[↓] 排名下降"] == "2"  # im_insp and im_env lost a place each
    ranked = at.dataframe[0].value.set_index(["可比指标组", "单位"])
    mca = ranked.loc[("巡视督察反馈问题整改", "民政部")]
    assert (mca["数值"], mca["上次报告"], mca["变化"], mca["排名变化"]) == (
        "88.6%",
        "75.9%",
        "+12.7个百分点",
        "↑2",
    )
    assert mca["目标"] == "≥ 100% · 2020-06-30"
    slipped = at.dataframe[1].value
    assert set(slipped["单位"]) == {"内蒙古"} and len(slipped) == 2


def test_page_sorts_by_change_and_speaks_english(progress_db, monkeypatch):
    at = open_progress(progress_db, monkeypatch, as_of="2020-03-01", sort="change", lang="English")
    ranked = at.dataframe[0].value
    changes = [c for c in ranked["Change"] if c]
    # Groups needing attention first: inspection feedback (mca and im_env yellow) before cases (two
    # stale, two green); within each group the largest change first.
    assert changes == ["+58.2 pp", "+42.3 pp", "+75 (+60%)", "+34 (+20.5%)"]
    assert "✔ on target" in set(ranked["Light"])


def test_progress_charts_validate_and_keep_groups_apart(pcon):
    from metrics import charts, labels

    tallies = labels.light_tallies(
        queries.progress_lights(pcon, Filters(as_of="2020-06-01"), "kind"), "kind", "en"
    )
    spec = valid_spec(charts.lights_chart(tallies, "en", "Lights"))
    drawn = pd.DataFrame(next(iter(spec["datasets"].values())))
    province = drawn[drawn.tally_label == "Province-level Party committee"]
    # 内蒙古's im_insp and im_env stale, 天津's inaction and umbrella green, two stale cases
    assert dict(zip(province.light, province.n)) == {"green": 2, "stale": 4, "no_target": 38}
    history = labels.progress_history(
        queries.progress_trends(pcon, [MCA, IM_ENV], Filters(as_of="2020-06-01")), "zh"
    )
    spec = valid_spec(charts.progress_trends_chart(history, "zh"))
    assert spec["resolve"]["scale"]["y"] == "independent"
    assert sorted(history.value_label) == ["17.7%", "34.6%", "75.9%", "76.9%", "88.6%"]


# --- 进度's lists, chosen in SQL (queries.progress: rank_pos, change_pos, slipped_pos, trend_pos) ---

# The lists as the page chose them in pandas before SQL did: the reference the SQL must equal.
ATTENTION = ("red", "yellow", "stale", "green", "no_target")


def pandas_ranked(df: pd.DataFrame, by_change: bool) -> pd.DataFrame:
    attention = df.light.map({light: i for i, light in enumerate(ATTENTION)})
    return df.assign(attention=attention.groupby(df.group_key).transform("min")).sort_values(
        ["attention", "group_key", "change" if by_change else "rank"],
        ascending=[True, True, not by_change],
        kind="stable",
    )


def pandas_slipped(df: pd.DataFrame) -> pd.DataFrame:
    return df[df.rank_change < 0].sort_values(["rank_change", "group_key"], kind="stable")


def pandas_trends(df: pd.DataFrame, filters: Filters, panels: int) -> tuple[list[str], str]:
    several = df[df.previous.notna()]
    if filters.bodies:
        pick, which = several, "trends_which_bodies"
    elif not (slipped := pandas_slipped(several)).empty:
        pick, which = slipped, "trends_which_slipped"
    else:
        pick, which = several.sort_values(["rank", "group_key"], kind="stable"), "trends_which_top"
    return list(pick.measure_id.head(panels)), which


LIST_FILTERS = [
    Filters(as_of=as_of, **chosen)
    for as_of in ("2019-12-31", "2020-03-01", "2020-06-01", "2020-09-01", None)
    for chosen in (
        {},
        {"bodies": ("mca", "inner_mongolia")},
        {"body_kinds": ("local",)},
        {"themes": ("cases",)},
    )
]


@pytest.mark.parametrize("f", LIST_FILTERS)
@pytest.mark.parametrize("limit", [None, 3])
def test_the_lists_chosen_in_sql_are_those_pandas_chose(pcon, f, limit):
    every = queries.progress(pcon, f, NO_STALE)  # the whole standing in view, in its order
    rows = queries.progress(pcon, f, NO_STALE, limit=limit, trends=2)
    expected = {
        "rank_pos": pandas_ranked(every, False),
        "change_pos": pandas_ranked(every, True),
        "slipped_pos": pandas_slipped(every),
    }
    for place, reference in expected.items():
        listed = rows[rows[place].notna()].sort_values(place)
        if limit is not None:
            listed = listed[listed[place] <= limit]
        assert list(listed.measure_id) == list(reference.measure_id.head(limit)), place
        assert list(listed[place]) == list(range(1, len(listed) + 1))
    ids, which = pandas_trends(every, f, 2)
    trends = rows[rows.trend_pos.notna()].sort_values("trend_pos")
    assert list(trends.measure_id) == ids
    assert set(trends.trend_which) <= {which}
    if limit is not None:  # only the rows some list shows
        shown = set().union(*(expected[p].measure_id.head(limit) for p in expected), ids)
        assert set(rows.measure_id) == shown


def test_the_lists_are_not_all_trivial_in_the_fixture(pcon):
    # the comparison above means something: rows slip, changes reorder a group, trends are picked
    every = queries.progress(pcon, Filters(as_of="2020-06-01"), NO_STALE)
    assert (every.rank_change < 0).any()
    assert list(pandas_ranked(every, True).measure_id) != list(pandas_ranked(every, False).measure_id)
    assert pandas_trends(every, Filters(), 12)[0]


@pytest.mark.parametrize("f", LIST_FILTERS[:8])
def test_the_tallies_say_the_newest_report_and_how_many_have_a_previous_and_a_target(pcon, f):
    every = queries.progress(pcon, f)
    tally = queries.of_tally(queries.progress_tallies(pcon, f), "all")
    if every.empty:
        assert tally.empty
        return
    [row] = tally.to_dict("records")
    assert row["newest"] == every.as_of_date.max()
    assert row["reported_twice"] == every.previous.notna().sum()
    assert row["targeted"] == every.target_id.notna().sum()


def test_the_page_shows_the_first_rows_and_the_download_holds_every_one(progress_db, monkeypatch, request):
    from metrics import view
    from metrics.ui import views

    # a table of two rows: the page shows the first two of each list, the CSV every measure in view
    files = request.getfixturevalue("media")  # the download files AppTest makes
    monkeypatch.setattr(view, "TABLE_ROWS", 2)
    monkeypatch.setattr(views, "TABLE_ROWS", 2)
    at = open_progress(progress_db, monkeypatch, as_of="2020-06-01")
    with duckdb.connect(str(progress_db), read_only=True) as con:
        every = queries.progress(con, Filters(as_of="2020-06-01"))
    assert len(every) > 2
    ranked = at.dataframe[0].value
    assert len(ranked) == 2
    assert any(str(len(every)) in c.value for c in at.caption)  # "共 n 行，显示前 2 行"
    _, data = files.file(download_buttons(at)["progress_csv"])
    rows = data.decode("utf-8-sig").strip().splitlines()
    assert len(rows) == len(every) + 1  # the header and every measure
    assert [r.split(",")[3] for r in rows[1:3]] == list(ranked.iloc[:, 3])  # in the table's order
