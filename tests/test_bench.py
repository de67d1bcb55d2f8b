"""The bench's write steps: synthetic data from a child process, each step's own peak memory."""

from __future__ import annotations

import time

from metrics.tools import bench


def test_the_peak_of_a_step_sees_memory_held_only_inside_it():
    into: dict = {}
    before = bench._rss_mb()
    with bench._peak_rss(into, "step"):
        held = bytearray(300 * 2**20)
        held[::4096] = b"x" * len(held[::4096])  # touch every page: resident, not just reserved
        time.sleep(0.1)  # a step holds its memory for a while (the sampler looks every 5 ms)
        del held
    assert into["step"] - before > 250, (before, into)
    assert bench._rss_mb() - before < 100  # given back after the step


def test_prepare_builds_imports_and_rolls_back_a_small_synthetic_store(tmp_path):
    db, info = bench.prepare(2000, tmp_path)
    assert db.resolve().is_file() and info["db_bytes"] > 0
    assert info["synth_counts"]["figures"] > 2000
    assert [r["rows"] for r in reversed(info["rollbacks"])] == [i["rows"] for i in info["imports"]]
    assert info["imports"] and all(i["rows"] > 0 for i in info["imports"])
    for step in ("build", "import", "rollback"):
        assert 50 < info[f"{step}_peak_rss_mb"] < bench._peak_rss_mb() + 1, info
