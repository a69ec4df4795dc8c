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
- HeadFirstWorker (below): gthread in which no thread waits on a client. With gthread the
  thread waited for a new connection's first bytes and then read on a blocking socket, so idle
  clients (connect and send nothing, or half a request line) each held a worker's only thread:
  four of them kept /healthz from answering for seconds; and the event loop waited for every
  closing client to close. Here the thread parses only a request that has arrived whole; idle
  and closing clients wait in the event loop, a file descriptor each. Chosen over more threads
  (a thread per slow client, and lower ratios) and gevent (lower ratios, p99 of seconds) on
  `python -m bench.configs`, whose table is in the README with the command.
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
import logging
import os
import re
import selectors
import socket
import sys
import time
from collections import deque
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
LINGER = 2.0  # as gunicorn's util.close_graceful
HEAD_END = b"\r\n\r\n"
_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length[ \t]*:[ \t]*(\d+)[ \t]*\r\n", re.I)
# chunked bodies, and bodies the client sends only after "100 Continue", are read by the thread
_READ_BY_THREAD = re.compile(rb"\r\n(transfer-encoding[ \t]*:|expect[ \t]*:[ \t]*100-continue)", re.I)
_TOO_LARGE = (b"HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n"
              b"Content-Length: 0\r\n\r\n")
_AWAIT_MORE = object()


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
    """gthread in which no thread ever waits on a client. gthread's pool thread waited for a new
    connection's first bytes (TConn.wait_for_data, DEFAULT_WORKER_DATA_TIMEOUT) and then parsed on
    a blocking socket with no timeout, and its event loop closed every connection gracefully
    (util.close_graceful: up to seconds waiting for the client to close). With one thread per
    worker, a connection that sent nothing held the worker for seconds, one that sent half a
    request line held it until the client left, and clients that did not close after their
    answer stalled the event loop in turn.

    Here the pool thread reads only what has arrived (MSG_DONTWAIT) and parses only a whole
    request (head, and a body up to BUFFERED_BODY); anything less goes back to the event loop,
    which waits for more at the cost of a file descriptor, up to HEAD_TIMEOUT from the first
    wait. Closing lingers in the event loop as well (LINGER). Still read by the thread, as in
    gthread: chunked bodies, larger bodies (the app refuses those unread) and bodies a client
    sends only after "100 Continue". Reading stays on the pool thread, as in gthread: done in the
    event loop it cost every request two more handovers of the GIL between the two threads
    (/similar and search about a tenth slower in `python -m bench.configs`). Plain HTTP/1 only;
    with TLS it is gthread unchanged. Built on gthread's internals (pending_conns, finish_request,
    _cap_keepalive), hence the pin on gunicorn's major version in setup.cfg."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.closing_conns = deque()  # lingering closes, ordered by deadline

    def handle(self, conn):
        """In a pool thread: serve the request if it is whole, else hand the connection back."""
        if self.cfg.is_ssl:
            return super().handle(conn)
        whole = self._read_available(conn)
        if not whole:
            return _AWAIT_MORE if whole is False else False
        conn.head_deadline = None
        conn.data_ready = True  # never gthread's blocking wait_for_data
        conn.sock.setblocking(True)
        conn.init()
        conn.parser.unreader.unread(bytes(conn.buffer))
        conn.buffer = bytearray()
        return super().handle(conn)

    @staticmethod
    def _read_available(conn) -> bool | None:
        """Add what the client has sent to conn.buffer without waiting. True: a whole request;
        False: wait for more; None: close (the client left, or its head outgrew any request of
        this app's: answered 431)."""
        if getattr(conn, "buffer", None) is None:
            conn.buffer = bytearray()
        if conn.parser is not None:  # bytes a client sent ahead of its next request
            conn.buffer[:0] = conn.parser.unreader.take_buffered()
        while not _whole_request(conn.buffer):
            if HEAD_END not in conn.buffer and len(conn.buffer) > MAX_HEAD:
                try:
                    conn.sock.send(_TOO_LARGE, socket.MSG_DONTWAIT)
                except OSError:
                    pass
                return None
            try:
                data = conn.sock.recv(65536, socket.MSG_DONTWAIT)
            except (BlockingIOError, InterruptedError):
                return False
            except OSError:
                return None
            if not data:
                return None
            conn.buffer += data
        return True

    def finish_request(self, conn, fs):
        """On the event loop: a connection short of a whole request waits in the poller; one to
        close lingers there. Everything else as gthread."""
        result = None if fs.cancelled() or fs.exception() is not None else fs.result()
        if result is _AWAIT_MORE:
            now = time.monotonic()
            if getattr(conn, "head_deadline", None) is None:
                conn.head_deadline = now + HEAD_TIMEOUT
            conn.timeout = conn.head_deadline if self.alive else min(
                conn.head_deadline, now + gthread.STOP_KEEPALIVE_LINGER)
            conn.sock.setblocking(False)
            self.pending_conns.append(conn)
            self.poller.register(conn.sock, selectors.EVENT_READ, partial(self.on_pending_socket_readable, conn))
        elif result is False and not self.cfg.is_ssl:
            self._close_lingering(conn)
        else:
            super().finish_request(conn, fs)

    def _close_lingering(self, conn) -> None:
        """RFC 9112's graceful close without blocking the loop: FIN now, then read and drop what
        the client still sends until it closes or LINGER passes."""
        try:
            conn.sock.shutdown(socket.SHUT_WR)
            conn.sock.setblocking(False)
        except OSError:
            self.nr_conns -= 1
            conn.close()
            return
        conn.timeout = time.monotonic() + LINGER
        self.closing_conns.append(conn)
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._drain, conn))

    def _drain(self, conn, sock) -> None:
        try:
            if sock.recv(65536):
                return
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            pass
        self.poller.unregister(sock)
        self.closing_conns.remove(conn)
        self.nr_conns -= 1
        conn.close()

    def murder_pending(self):
        """Also ends lingering closes past their deadline (called wherever gthread expires
        connections, serving or stopping)."""
        super().murder_pending()
        now = time.monotonic()
        while self.closing_conns and self.closing_conns[0].timeout <= now:
            conn = self.closing_conns.popleft()
            try:
                self.poller.unregister(conn.sock)
            except (OSError, KeyError, ValueError):
                pass
            self.nr_conns -= 1
            conn.close()

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
