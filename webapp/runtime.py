"""The app's runtime policy, owned by the app so that every way of serving it behaves alike
(`make serve`, a bare `gunicorn -w 3 wsgi:app`, `flask run`): native thread pools, and the
warm-up a server runs before its first request.

Thread pools: on a few cores, parallelism comes from the server's worker processes. A BLAS or
OpenMP pool with a thread per core in every worker makes each small matrix-vector product of a
request wake threads that spin against the other workers' (a bare `gunicorn -w 3`, which
reads no limit from anywhere else, served search several times slower before the app set this
itself: bench/results/serving_bare.md measures both commands)."""
from __future__ import annotations

import logging
import os
import sys
import time

from flask import Flask
from threadpoolctl import threadpool_limits

from .lookups import title_index

log = logging.getLogger(__name__)
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
WARM_TEXT = "warm up the text model"


def limit_threads(count: int) -> None:
    """At most `count` threads in every BLAS/OpenMP pool loaded so far (threadpoolctl), in
    libraries loaded later (their environment variables, unless already set) and in torch,
    if something imported it."""
    for name in THREAD_VARIABLES:
        os.environ.setdefault(name, str(count))
    threadpool_limits(count)
    torch = sys.modules.get("torch")  # never imported here: serving runs without it
    if torch is not None:
        torch.set_num_threads(count)


def warm_up(app: Flask) -> None:
    """Load what the first requests would otherwise load lazily: the live index version, the
    text model (with one encode, so its weights are really in memory) and the title index.
    Never raises: a missing index or store is reported by /healthz instead."""
    started = time.perf_counter()
    try:
        holder = app.extensions["index_holder"]
        holder.refresh()
        holder.wait_for_load()
        index = holder.current()
        if index is not None:
            holder.embedder(index.embedder).encode([WARM_TEXT])
        with app.app_context():
            title_index()
    except Exception as exc:  # noqa: BLE001 - serving still works lazily; say why it was not warmed
        log.warning("warm-up incomplete: %s", exc)
        return
    log.info("process %s warm in %.2fs", os.getpid(), time.perf_counter() - started)
