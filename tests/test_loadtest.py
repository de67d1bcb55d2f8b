"""The load test itself runs: a short burst of browser sessions against a real app."""

import pytest

from metrics.store import Store
from metrics.tools import loadtest
from tests.test_browser import chromium  # noqa: F401 (fixture: skips locally, fails in CI without it)

pytestmark = pytest.mark.browser


def test_a_short_load_serves_every_click(tmp_path, chromium):  # noqa: F811
    db = tmp_path / "load.duckdb"
    Store(db).build()
    report = loadtest.run(sessions=2, seconds=8, db=db)
    assert report["errors"] == 0
    assert report["clicks_served"] >= 2
    assert 0 < report["median_ms"] <= report["p95_ms"] < 30_000
