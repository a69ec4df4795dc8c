"""gunicorn's settings for this app. gunicorn reads ./gunicorn.conf.py by itself, so from the repo
root `gunicorn wsgi:app`, `gunicorn -w 3 wsgi:app` and `make serve` all serve with these;
command-line flags win over them. The app owns its runtime (webapp/runtime.py: native thread
pools limited in create_app, the warm-up); the hooks here only call it.

- bind: loopback, port PORT (default 8000); `--bind` to listen elsewhere.
- worker_class: webapp.server_worker.HeadFirstWorker, gthread in which no thread waits on a
  client (idle or slow clients cannot stall the server); WORKER_CLASS picks another (any
  gunicorn worker class; `headfirst` names this one), for bench.configs.
- workers x threads, WORKERS x THREADS (default 2 x 1): a request is CPU work, so parallelism
  comes from processes; a second thread per worker only takes turns at the GIL and the caches.
- preload_app: the app is built once in the master, which also loads the live index version
  and the text model before forking; the workers share those pages copy-on-write. A version is
  read into private memory, never file-mapped (a file truncated under a mapping kills the
  process with SIGBUS); a version a worker swaps to after a rebuild is its own copy until
  gunicorn restarts.
- reuse_port (REUSE_PORT=0 turns it off): every worker listens on its own SO_REUSEPORT socket and
  the kernel spreads new connections over them. On one shared socket the worker that woke first
  could take nearly all of a client's keep-alive connections while the other idled.
- when_ready / post_worker_init: webapp.runtime.warm_up in the master (before the fork) and in
  every worker (before its first request): the first requests are not slow, and memory is
  measured in steady state. when_ready also logs the URL served.
- worker_exit: webapp.server_worker.exit_without_inherited_handlers (the function says why).

Measurements behind these choices: bench/results/ (`python -m bench.configs`,
`python -m bench.bare_gunicorn`, `make bench`)."""
import logging
import os

workers = int(os.environ.get("WORKERS", "2"))
threads = int(os.environ.get("THREADS", "1"))
bind = [f"127.0.0.1:{os.environ.get('PORT', '8000')}"]
worker_class = os.environ.get("WORKER_CLASS", "headfirst")
if worker_class == "headfirst":
    worker_class = "webapp.server_worker.HeadFirstWorker"
reuse_port = os.environ.get("REUSE_PORT", "1") != "0"
preload_app = True
timeout = 60
graceful_timeout = 20
keepalive = 5
accesslog = None
errorlog = "-"
loglevel = "info"

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


def _warm_up(app) -> None:
    from webapp import runtime

    if app is not None:
        runtime.warm_up(app)


def _urls(server) -> list[str]:
    """What the server listens on: the master's sockets (their real ports, for a bind to port 0);
    with reuse_port the master has none and every worker binds the configured addresses."""
    if server.LISTENERS:
        return [str(listener) for listener in server.LISTENERS]  # gunicorn writes them as URLs
    urls = []
    for address in server.cfg.address:
        if isinstance(address, tuple):
            host, port = address[0], address[1]
            urls.append(f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}")
        else:
            urls.append(f"unix:{address}")
    return urls


def on_starting(server):
    """No reuse_port for an ephemeral port (`--bind 127.0.0.1:0`, the tests): each worker would
    bind a port of its own. One socket made by the master is the only way to share it."""
    if server.cfg.reuse_port and any(isinstance(a, tuple) and a[1] == 0 for a in server.cfg.address):
        server.cfg.set("reuse_port", False)


def when_ready(server):
    """Master: say where it serves; with preload_app, warm the app once before the workers fork."""
    log.info("Serving on %s", ", ".join(_urls(server)))
    if server.cfg.preload_app:
        _warm_up(_flask_app(server.app.wsgi()))


def post_worker_init(worker):
    """Every worker, before its first request."""
    _warm_up(_flask_app(worker.wsgi))


def worker_exit(server, worker):
    from webapp.server_worker import exit_without_inherited_handlers

    exit_without_inherited_handlers(worker)
