"""Production gunicorn settings (`make serve`, `make bench`), chosen on measurements on 2 cores:
bench/results/serving_configs.json (`python -m bench.configs`) compares the candidates.

- preload_app: the app is built once in the master, which also loads the live index version
  and the text model before forking. The version is read into private memory, never
  file-mapped (a file truncated under a mapping kills the process with SIGBUS), so the workers
  share the master's copy copy-on-write, as they share the text model's weights; a version a
  worker swaps to after a rebuild is its own copy until gunicorn restarts.
- reuse_port: every worker listens on its own SO_REUSEPORT socket and the kernel spreads new
  connections over them. On one shared socket the worker that woke first could take nearly all
  of a client's keep-alive connections and the other idle: /healthz then ran on one core
  in some runs and not others (3,038 and 3,355 req/s instead of ~7,000 in two `make bench`
  runs on 24 Nov, 12:57 and 13:05 UTC).
- HeadFirstWorker (below): gthread, except that each worker's event loop reads a request
  (head, and a small body) before the thread gets the connection. With gthread the thread itself
  waited for a new connection's first bytes and then read on a blocking socket, so idle clients
  (connect and send nothing, or half a request line) each held a worker's only thread: four of
  them kept /healthz from answering for seconds. Here they cost a file descriptor each until
  HEAD_TIMEOUT. Chosen over more threads (a thread per slow client, and slower requests) and
  gevent (ratios at or below gthread's, p99 many times higher) on `python -m bench.configs`,
  whose table is in the README with the command.
- worker_exit: a worker leaves with os._exit once gunicorn is done with it, so the exit handlers
  of libraries the master loaded (onnxruntime's C++ thread) do not run in the forked copy; the
  function says why.
- 2 workers x 1 thread: a request is CPU work of well under a millisecond, so a second
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

Environment overrides: WORKERS, WORKER_CLASS (headfirst, or any gunicorn worker class), THREADS,
REUSE_PORT=0, TORCH_THREADS (command-line flags win)."""
import errno
import logging
import os
import re
import selectors
import sys
import time
from functools import partial

from gunicorn.workers import gthread

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

workers = int(os.environ.get("WORKERS", "2"))
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


# -- the worker model ---------------------------------------------------------------------------
HEAD_TIMEOUT = 10.0
MAX_HEAD = 32 * 1024
BUFFERED_BODY = 64 * 1024  # the app's MAX_CONTENT_LENGTH: a larger body is refused unread
HEAD_END = b"\r\n\r\n"
_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length[ \t]*:[ \t]*(\d+)[ \t]*\r\n", re.I)
# chunked bodies, and bodies the client sends only after "100 Continue", are read by the thread
_READ_BY_THREAD = re.compile(rb"\r\n(transfer-encoding[ \t]*:|expect[ \t]*:[ \t]*100-continue)", re.I)
_TOO_LARGE = (b"HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n"
              b"Content-Length: 0\r\n\r\n")
_AWAIT_HEAD = object()


def _whole_request(buffer) -> bool:
    """Whether `buffer` starts with a request the app's thread can parse without waiting on the
    client: its head, and its body when a Content-Length small enough to hold here announces it."""
    end = buffer.find(HEAD_END)
    if end < 0:
        return False
    head = bytes(buffer[:end + 2])
    if _READ_BY_THREAD.search(head):
        return True
    length = _CONTENT_LENGTH.search(head)
    return length is None or int(length.group(1)) > BUFFERED_BODY or len(buffer) >= end + 4 + int(length.group(1))


class HeadFirstWorker(gthread.ThreadWorker):
    """gthread whose poller thread reads each request (head, and a small body) before a thread of
    the pool gets the connection. gthread hands every new connection to the pool at once
    (ThreadWorker.accept -> enqueue_req), and the pool thread waits there for the first bytes
    (TConn.wait_for_data with DEFAULT_WORKER_DATA_TIMEOUT), then parses on a blocking socket with
    no timeout at all: with one thread per worker, a connection that sends nothing held the
    worker for seconds, and one that sent half a request line held it until the client left.
    Here a connection waits in the poller, costing a file descriptor, until its request is whole
    or HEAD_TIMEOUT passes; kept-alive connections, and bytes a client sent ahead of its next
    request, come back through the same path. Still read by the thread, as in gthread: chunked
    bodies, bodies over BUFFERED_BODY (the app refuses those unread) and bodies a client sends
    only after "100 Continue". Plain HTTP/1 only (the tests and `make serve`); with TLS it is
    gthread unchanged. Built on gthread's internals (pending_conns, keepalived_conns,
    finish_request), hence the pin on gunicorn's major version in setup.cfg."""

    def accept(self, listener):
        if self.cfg.is_ssl:
            return super().accept(listener)
        try:
            sock, client = listener.accept()
        except OSError as e:
            if e.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        self._read_or_wait(gthread.TConn(self.cfg, sock, client, listener.getsockname()))

    def on_client_socket_readable(self, conn, client):
        """A kept-alive connection has bytes of its next request: read here as well."""
        if self.cfg.is_ssl:
            return super().on_client_socket_readable(conn, client)
        self.poller.unregister(client)
        self.keepalived_conns.remove(conn)
        self._read_or_wait(conn)

    def _read_or_wait(self, conn, buffered: bytes = b"") -> None:
        """Whatever the client has sent already; then the thread pool, or the poller to wait."""
        conn.buffer = bytearray(buffered)
        conn.sock.setblocking(False)
        whole = self._receive(conn)
        if whole is not False:
            self._dispatch(conn, whole)
            return
        conn.timeout = time.monotonic() + HEAD_TIMEOUT  # pending_conns stays ordered by deadline
        self.pending_conns.append(conn)
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._on_readable, conn))

    def _on_readable(self, conn, sock) -> None:
        whole = self._receive(conn)
        if whole is not False:
            self.poller.unregister(sock)
            self.pending_conns.remove(conn)
            self._dispatch(conn, whole)

    @staticmethod
    def _receive(conn) -> bool | None:
        """Reads what the client sent. True: the request is whole; False: wait for more; None:
        drop the connection (the client left, or its head outgrew any request of this app's,
        answered 431)."""
        try:
            data = conn.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return False
        except OSError:
            return None
        if not data:
            return None
        conn.buffer += data
        if _whole_request(conn.buffer):
            return True
        if HEAD_END in conn.buffer or len(conn.buffer) <= MAX_HEAD:
            return False
        try:
            conn.sock.send(_TOO_LARGE)
        except OSError:
            pass
        return None

    def _dispatch(self, conn, whole: bool | None) -> None:
        if whole:
            conn.data_ready = True
            self.enqueue_req(conn)
        else:
            self.nr_conns -= 1
            conn.close()

    def handle(self, conn):
        """In a pool thread: the request read by the poller goes to the parser first. Bytes a
        client sent ahead of its next request stay with the parser only if they make a whole
        request; otherwise they go back to the poller, which waits for the rest."""
        buffered = getattr(conn, "buffer", None)
        if buffered:
            conn.buffer = None
            conn.sock.setblocking(True)
            conn.init()
            conn.parser.unreader.unread(bytes(buffered))
        elif conn.parser is not None and not self.cfg.is_ssl:
            ahead = conn.parser.unreader.buf.getvalue()
            if ahead and not _whole_request(ahead):
                conn.buffer = bytearray(conn.parser.unreader.take_buffered())
                return _AWAIT_HEAD
        return super().handle(conn)

    def finish_request(self, conn, fs):
        if not fs.cancelled() and fs.exception() is None and fs.result() is _AWAIT_HEAD:
            if self.alive:
                self._read_or_wait(conn, bytes(conn.buffer))
            else:
                self.nr_conns -= 1
                conn.close()
            return
        super().finish_request(conn, fs)

    def _cap_keepalive(self, deadline):
        """On stop, connections still sending their request get as long as kept-alive ones
        (gthread's STOP_KEEPALIVE_LINGER), not the rest of HEAD_TIMEOUT."""
        super()._cap_keepalive(deadline)
        for conn in self.pending_conns:
            conn.timeout = min(conn.timeout, deadline)


WORKER_CLASSES = {"headfirst": HeadFirstWorker}
worker_class = os.environ.get("WORKER_CLASS", "headfirst")
worker_class = WORKER_CLASSES.get(worker_class, worker_class)


def worker_exit(server, worker):
    """The last thing a worker process does: leave with os._exit, as multiprocessing's forked
    children do, instead of running the exit handlers it inherited from the master. The master
    imported onnxruntime (preload_app), which starts a C++ thread of its own at import; fork
    copies only the forking thread, and at a normal exit the library's static destructors stop
    and join a thread that does not exist in the worker: `terminate called after throwing an
    instance of 'std::system_error'` (Invalid argument), SIGABRT, or a hang in
    pthread_cond_destroy. Python's own exit would also join every pool thread, including one
    still blocked on a client. Everything the worker must finish is done by now: requests
    answered, SQLite commits durable when they were acknowledged, the log is flushed below.
    gunicorn also calls this hook in the master for a worker that was already gone: not there."""
    if os.getpid() != worker.pid:
        return
    leaving = sys.exc_info()[1]  # the SystemExit (or error) that ends the worker
    code = leaving.code if isinstance(leaving, SystemExit) else int(leaving is not None)
    code = 0 if code is None else code if isinstance(code, int) else 1
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)
