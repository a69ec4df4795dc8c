"""Benchmarks: timings live here, never in timed tests. Each prints medians and writes JSON."""
