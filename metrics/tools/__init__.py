"""Tools that measure the app from outside: page and query benchmarks, the write-path bench,
browser and websocket load tests. Not imported by the dashboard."""
