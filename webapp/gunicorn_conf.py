"""Production gunicorn settings (`make serve`, `make bench`).

preload_app: the app and its index are loaded once in the master, so workers share those pages
copy-on-write; threads let a worker overlap SQLite reads with another request's numpy work."""
import os

preload_app = True
worker_class = "gthread"
threads = int(os.environ.get("THREADS", "4"))
timeout = 60
graceful_timeout = 20
accesslog = None
errorlog = "-"
loglevel = "info"
