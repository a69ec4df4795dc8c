"""Benchmarks: timings live here, never in timed tests. Each prints medians and writes JSON.

One BLAS/OpenMP thread, as in the gunicorn workers (webapp/runtime.py): set before any
benchmark imports numpy, so in-process figures measure what a worker does."""
import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
