"""Production gunicorn settings (`make serve`, `make bench`), chosen on measurements on 2 cores:
bench/results/serving_configs.json (`python -m bench.configs`) compares the candidates.

- preload_app: the app is built once in the master, which also loads the live index version
  and the text model before forking. Index arrays and FAISS indices (IO_FLAG_MMAP_IFC: vectors
  and HNSW links) are file mappings, so every process, and every version a worker swaps to
  later, shares one copy in the page cache; the text model's weights are shared copy-on-write.
- reuse_port: every worker listens on its own SO_REUSEPORT socket and the kernel spreads new
  connections over them. On one shared socket the worker that woke first could take nearly all
  of a client's keep-alive connections and the other idle: /healthz then ran on one core
  in some runs and not others (3,038 and 3,355 req/s instead of ~7,000 in two `make bench`
  runs on 24 Nov, 12:57 and 13:05 UTC).
- 2 gthread workers x 1 thread: a request is CPU work of well under a millisecond, so a second
  thread per worker only takes turns at the GIL and at the caches (4 threads: /api/feed 1,984
  req/s against 2,400 with 2, p99 33 against 18 ms). With reuse_port, two `make bench` runs of
  3 rounds each (24 Nov, 14:16 and 14:36 UTC; their tables are in the README's history) put
  /api/feed at 0.31-0.35 of /healthz with 2 threads and 0.36-0.41 with 1, new-phrase search at
  0.14-0.17 and 0.19-0.20, /similar and title lookup alike (the second run also had orjson
  parsing the catalogue rows, a few percent of a feed; not of a search): an encode keeps the
  caches warm when no second thread of the worker runs between two of them. (The single-run
  comparison of `python -m bench.configs --seconds 10` could not tell the settings apart: runs
  of the same settings differ by up to half on this shared machine.)
- post_worker_init warms every worker (index, text model, title index) before it takes a request:
  the first requests are not slow, and memory is measured in steady state.
- one BLAS/OpenMP/torch thread per worker: on 2 cores, parallelism comes from the workers. With
  OpenBLAS's default (a thread per core) every small matrix-vector product of /similar and /feed
  wakes a second thread that spins against the other workers: 3-4x slower requests under load.
  The variables are set here, before the master imports numpy, faiss or torch (preload_app).

Environment overrides: WORKERS, WORKER_CLASS, THREADS, REUSE_PORT=0, TORCH_THREADS (command-line flags win)."""
import logging
import os
import sys
import time

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

workers = int(os.environ.get("WORKERS", "2"))
worker_class = os.environ.get("WORKER_CLASS", "gthread")
threads = int(os.environ.get("THREADS", "1"))
reuse_port = os.environ.get("REUSE_PORT", "1") != "0"
preload_app = True
timeout = 60
graceful_timeout = 20
keepalive = 5
accesslog = None
errorlog = "-"
loglevel = "info"

TORCH_THREADS = int(os.environ.get("TORCH_THREADS", "1"))
WARM_TEXT = "warm up the text model"
log = logging.getLogger("gunicorn.error")


def _flask_app(wsgi):
    """The Flask app behind the WSGI callable (through middleware that keeps it as `.app`)."""
    for _ in range(5):
        if hasattr(wsgi, "extensions") and hasattr(wsgi, "app_context"):
            return wsgi
        wsgi = getattr(wsgi, "app", None) or getattr(wsgi, "wsgi_app", None)
        if wsgi is None:
            break
    return None


def _set_torch_threads(count: int) -> None:
    """Only when something loaded torch already: an index version that ships its ONNX query
    encoder never does, and importing torch here would cost every process ~100 MB for nothing."""
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(count)


def _load_index_and_model(app) -> None:
    """What a request would load lazily: the live index version and its text model (with one
    encode, so tokenizer and weights are really in memory)."""
    holder = app.extensions.get("index_holder")
    if holder is None:
        return
    holder.refresh()
    index = holder.current()
    if index is not None:
        holder.embedder(index.embedder).encode([WARM_TEXT])


def on_starting(server):
    """No reuse_port for an ephemeral port (`--bind 127.0.0.1:0`, the tests): each worker would
    bind a port of its own. One socket made by the master is the only way to share it."""
    if server.cfg.reuse_port and any(isinstance(a, tuple) and a[1] == 0 for a in server.cfg.address):
        server.cfg.set("reuse_port", False)


def when_ready(server):
    """Master, preload_app only: load index and model once, before the workers fork."""
    if not server.cfg.preload_app:
        return
    app = _flask_app(server.app.wsgi())
    if app is None:
        return
    started = time.perf_counter()
    _set_torch_threads(1)  # no OpenMP thread pool exists in the master when it forks
    try:
        _load_index_and_model(app)
    except Exception as exc:  # serving still works lazily; say why it was not preloaded
        log.warning("master preload failed: %s", exc)
        return
    log.info("master preloaded index and text model in %.1fs", time.perf_counter() - started)


def post_worker_init(worker):
    """Every worker: torch threads, then index, text model and title index warm before serving."""
    started = time.perf_counter()
    _set_torch_threads(TORCH_THREADS)
    app = _flask_app(worker.wsgi)
    if app is None:
        return
    try:
        _load_index_and_model(app)
        with app.app_context():
            from webapp.lookups import title_index

            title_index()
    except Exception as exc:  # a missing index or store: the app reports it on /healthz
        log.warning("worker %s warm-up incomplete: %s", worker.pid, exc)
        return
    log.info("worker %s warm in %.2fs", worker.pid, time.perf_counter() - started)
