"""整改看板 — the library behind the rectification metrics dashboard.

Curated CSVs in ``data/`` are validated and built into a DuckDB file; SQL views
derive closure rates, case counts and reductions; the dashboard only reads.
"""
