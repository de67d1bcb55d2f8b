"""Synthetic national-scale data (metrics.synth, ``python -m metrics synth``), at small settings.

The generated folder must be a complete data folder that builds, its import chunks must pass the
import check against its own reference tables with an empty figures.csv, and the same arguments
must give the same bytes.
"""

from __future__ import annotations

import csv
import filecmp
import shutil
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from metrics import cli, curated, ingest, synth
from metrics.numbers import parse_quantity
from metrics.store import Store
from metrics.validate import DIRECTION_WORD, DOWN_WORDS

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
BODIES, ROUNDS, SEED = 20, 3, 7
PARTS = ("closed", "partly_closed", "in_progress")


def records(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def header(path: Path) -> list[str]:
    with path.open(encoding="utf-8", newline="") as f:
        return next(csv.reader(f))


def contents(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> tuple[Path, dict[str, int]]:
    out = tmp_path_factory.mktemp("synth") / "data"
    return out, synth.generate(out, BODIES, ROUNDS, SEED)


@pytest.fixture(scope="module")
def figures(generated) -> list[dict[str, str]]:
    return records(generated[0] / "figures.csv")


@pytest.fixture(scope="module")
def kind_of(generated) -> dict[str, str]:
    return {m["measure_id"]: m["kind"] for m in records(generated[0] / "measures.csv")}


def test_same_arguments_give_byte_identical_files(generated, tmp_path):
    out, counts = generated
    again = tmp_path / "again"
    assert synth.generate(again, BODIES, ROUNDS, SEED) == counts
    assert contents(again) == contents(out)
    other = tmp_path / "other"
    synth.generate(other, BODIES, ROUNDS, SEED + 1)
    assert (other / "figures.csv").read_bytes() != (out / "figures.csv").read_bytes()


def test_counts_are_the_rows_written(generated):
    out, counts = generated
    for table in ("bodies", "themes", "indicators", "measures", "sources", "figures"):
        assert len(records(out / f"{table}.csv")) == counts[table], table
    assert counts["bodies"] == BODIES
    assert counts["sources"] == BODIES * ROUNDS  # one weekly report per body and round
    assert 15 * BODIES <= counts["measures"] <= 25 * BODIES
    parts = sorted((out / "import").glob("part-*.csv"))
    assert [p.name for p in parts] == [f"part-{n:04d}.csv" for n in range(1, counts["import_files"] + 1)]
    assert sum(len(records(p)) for p in parts) == counts["figures"]


def test_a_complete_data_folder_in_the_dictionarys_columns(generated):
    out, _ = generated
    columns = curated.dictionary(DATA_DIR / "dictionary.csv")
    for table in curated.TABLES:
        assert header(out / f"{table}.csv") == [c.name for c in columns[table]], table
    for name in ("dictionary.csv", "body_kinds.csv", "themes.csv", "indicators.csv"):
        assert filecmp.cmp(out / name, DATA_DIR / name, shallow=False), name
    assert records(out / "left_out.csv") == records(out / "number_words.csv") == []
    for source in records(out / "sources.csv"):
        assert source["file_name"] == source["sha256"] == ""
    import_header = header(out / "import" / "part-0001.csv")
    assert set(import_header) <= set(ingest.IMPORT_COLUMNS)
    assert {c for c, (required, _) in ingest.IMPORT_COLUMNS.items() if required} <= set(import_header)


def test_bodies_of_every_kind_with_unique_ids_and_names():
    bodies = synth.make_bodies(3500, 1)
    assert len(bodies) == 3500
    levels = defaultdict(list)
    for b in bodies:
        levels[b.level].append(b)
    assert len(levels["province"]) == 31
    assert {"北京市委", "天津市委", "河北省委", "内蒙古自治区党委", "新疆维吾尔自治区党委"} <= {
        b.name_zh for b in levels["province"]
    }
    assert len(levels["central_department"]) + len(levels["financial_institution"]) >= 90
    assert len(levels["central_enterprise"]) >= 60 and len(levels["guidance_group"]) >= 30
    assert len(levels["city"]) > 250 and len(levels["county"]) > 2500
    assert "河北省石家庄市委" in {b.name_zh for b in levels["city"]}
    for b in levels["county"]:
        assert b.name_zh.endswith(("区委", "县委")) and "市" in b.name_zh and b.region
    # every id and name (any column) names one body, so the import's name lookup is unambiguous
    owner: dict[str, str] = {}
    for b in bodies:
        for key in {b.body_id, b.name_zh, b.short_zh, b.name_en, b.short_en}:
            assert owner.setdefault(key, b.body_id) == b.body_id, key
    assert {b.body_kind for b in synth.make_bodies(BODIES, SEED)} == {
        "province",
        "local",
        "central_department",
        "financial_institution",
        "central_enterprise",
        "guidance_group",
    }
    assert [b.body_id for b in synth.make_bodies(50, 2)] == [b.body_id for b in synth.make_bodies(50, 2)]


def test_every_figure_reads_as_written(figures):
    for f in figures:
        written = parse_quantity(f["as_written"])
        value = Decimal(f["value"])
        assert written.value == abs(value), f
        assert written.qualifier == f["qualifier"] and written.counter == f["counter"], f
        assert f["as_written"] in f["evidence"], f
        if f["role"] == "change_pct":
            before = f["evidence"][: f["evidence"].index(f["as_written"])]
            assert (DIRECTION_WORD.findall(before)[-1] in DOWN_WORDS) == (value < 0), f
        else:
            assert value >= 0
    assert {f["qualifier"] for f in figures} == {"exact", "more_than"}


def test_numbers_are_written_like_reports():
    assert synth.written(3047, "件", True, False, "多") == (3000, "more_than", "3000多件")
    assert synth.written(187, "条", True, False, "余") == (180, "more_than", "180余条")
    assert synth.written(3000, "件", True, False, "多") == (3000, "exact", "3000件")
    assert synth.written(12345, "人次", True, True, "多") == (12000, "more_than", "1.2万余人次")
    assert synth.written(13345, "件", False, True, "多") == (13300, "exact", "1.33万件")
    assert synth.written(9999, "件", False, True, "多") == (9999, "exact", "9999件")
    for value in (10000, 10500, 13300, 120000):
        assert parse_quantity(synth.wan(value) + "件").value == value
    assert synth.percent(235) == "23.5" and synth.percent(-240) == "24"


def test_closure_parts_never_exceed_the_total(figures, kind_of):
    reports = defaultdict(dict)
    for f in figures:
        if kind_of[f["measure_id"]] == "closure":
            reports[f["measure_id"], f["as_of"]][f["role"]] = Decimal(f["value"])
    assert reports
    for key, roles in reports.items():
        assert "total" in roles and "closed" in roles, key
        assert sum(roles.get(role, 0) for role in PARTS) <= roles["total"], (key, roles)


def test_figures_progress_over_the_rounds(figures, kind_of):
    history = defaultdict(list)
    for f in figures:
        history[f["measure_id"], f["role"]].append((f["as_of"], Decimal(f["value"])))
    first = synth.START.isoformat()
    assert {measure for measure, _ in history} == set(kind_of)  # every measure reports
    for (measure, role), values in history.items():
        assert values[0][0] == first  # every measure reports in the first round
        numbers = [v for _, v in sorted(values)]
        if role in ("total", "closed", "value", "before"):
            assert numbers == sorted(numbers), (measure, role, numbers)  # grow
        if role in ("after",) or measure.endswith("_meetings_change"):
            assert numbers == sorted(numbers, reverse=True), (measure, role, numbers)  # deepen


def test_the_folder_builds(generated, kind_of, tmp_path):
    out, counts = generated
    db = tmp_path / "db" / "metrics.duckdb"
    built = Store(
        db, data_dir=out, sources_dir=out, require_texts=False, imports_dir=tmp_path / "none"
    ).build()
    for table in ("bodies", "measures", "sources", "figures"):
        assert built[table] == counts[table]
    kinds = list(kind_of.values())
    with Store(db).connect() as con:
        assert con.execute("SELECT count(*) FROM closures").fetchone()[0] == kinds.count("closure")
        assert con.execute("SELECT count(*) FROM changes").fetchone()[0] == kinds.count("change")
        assert con.execute("SELECT max(closure_rate) <= 1 FROM closure_history").fetchone()[0]
        latest = con.execute("SELECT DISTINCT as_of FROM closures").fetchall()
    assert len(latest) >= 1


def test_the_first_import_chunk_passes_the_import_check(generated, tmp_path):
    out, counts = generated
    reference = tmp_path / "reference"
    reference.mkdir()
    for path in out.glob("*.csv"):
        shutil.copyfile(path, reference / path.name)
    (reference / "figures.csv").write_text(",".join(header(out / "figures.csv")) + "\n", encoding="utf-8")
    chunk = out / "import" / "part-0001.csv"
    checked = Store(tmp_path / "db" / "m.duckdb", reference, None, tmp_path / "imports").check(
        chunk.read_bytes(), chunk.name
    )
    assert checked.ok, checked.problems[:5]
    assert checked.rows == len(checked.tables["figures"]) == counts["figures"]
    assert len(checked.tables["measures"]) == len(checked.tables["sources"]) == 0  # all known


def test_import_files_are_cut_at_chunk_rows(tmp_path):
    out = tmp_path / "small"
    counts = synth.generate(out, 6, 2, 3, chunk_rows=50)
    parts = sorted((out / "import").glob("part-*.csv"))
    sizes = [len(records(p)) for p in parts]
    assert counts["import_files"] == len(parts) == -(-counts["figures"] // 50)
    assert all(size == 50 for size in sizes[:-1]) and 0 < sizes[-1] <= 50
    as_imported = [(r["measure_id"], r["role"], r["as_of"], r["value"]) for p in parts for r in records(p)]
    in_figures = [(r["measure_id"], r["role"], r["as_of"], r["value"]) for r in records(out / "figures.csv")]
    assert as_imported == in_figures
    assert synth.generate(out, 6, 2, 3)["import_files"] == 1  # no stale parts left behind
    assert [p.name for p in (out / "import").iterdir()] == ["part-0001.csv"]


def test_command_line(tmp_path, capsys):
    out = tmp_path / "cli"
    assert cli.main(["synth", "--bodies", "8", "--rounds", "2", "--seed", "3", "--out", str(out)]) == 0
    assert "8 bodies" in capsys.readouterr().err
    synth.generate(tmp_path / "direct", 8, 2, 3)
    assert contents(out) == contents(tmp_path / "direct")
    assert cli.main(["synth", "--bodies", "0", "--out", str(tmp_path / "none")]) == 2
    assert "at least 1" in capsys.readouterr().err
