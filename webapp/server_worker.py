"""The worker process gunicorn runs (named in gunicorn.conf.py): gthread in which no thread waits on
a client, and a worker exit that skips the exit handlers inherited from the master.

Why not plain gthread: its pool thread waited for a new connection's first bytes and then read
on a blocking socket, so idle clients (connect and send nothing, or half a request line) each
held a worker's only thread, and its event loop waited for every closing client to close. Why
not more threads, or gevent: both serve the app's short CPU-bound requests at lower ratios of
/healthz and longer tails (`python -m bench.configs` compares the candidates, figures in
bench/results/serving_configs.json)."""
import json
import logging
import os
import re
import selectors
import socket
import sys
import time
from collections import deque
from functools import partial

from gunicorn import util
from gunicorn.workers import gthread

HEAD_TIMEOUT = 10.0  # seconds a client has to send a whole request, from the first wait
MAX_HEAD = 32 * 1024  # bytes: a head no request of this app needs; refused with 431 unbuffered
BUFFERED_BODY = 64 * 1024  # the app's MAX_CONTENT_LENGTH: a larger body is refused unread
LINGER = 2.0  # seconds, as gunicorn's util.close_graceful
HEAD_END = b"\r\n\r\n"
_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length[ \t]*:[ \t]*(\d+)[ \t]*\r\n", re.I)
_CHUNKED = re.compile(rb"\r\ntransfer-encoding[ \t]*:", re.I)  # chunked bodies are read by the thread
_EXPECT_CONTINUE = re.compile(rb"\r\nexpect[ \t]*:[ \t]*100-continue[ \t]*(?=\r\n)", re.I)
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
_AWAIT_MORE = object()
WHOLE, MORE, CLOSE = True, False, None  # what _read_available found


def _first_request(conn) -> bool | None:
    """Whether conn.buffer starts with a request the app's thread can parse without waiting on
    the client (WHOLE), needs more bytes (MORE), or is refused (CLOSE, after a 431). Its head, and
    its body when a Content-Length small enough to hold here announces it. A head that asks for
    "100 Continue" gets it here, once, when the body is still to come, and loses the Expect
    line, so that the thread never sends a second one or waits for the body."""
    buffer = conn.buffer
    end = buffer.find(HEAD_END)
    if end < 0 and len(buffer) <= MAX_HEAD:
        return MORE
    if end < 0 or end + len(HEAD_END) > MAX_HEAD:
        try:
            conn.sock.send(_TOO_LARGE, socket.MSG_DONTWAIT)
        except OSError:
            pass
        return CLOSE
    head = bytes(buffer[:end + 2])
    if _CHUNKED.search(head):
        return WHOLE
    found = _CONTENT_LENGTH.search(head)
    length = int(found.group(1)) if found else 0
    if length > BUFFERED_BODY:
        return WHOLE
    expect = _EXPECT_CONTINUE.search(head)
    if expect is not None:
        del buffer[expect.start():expect.end()]
        end -= expect.end() - expect.start()
        http10 = head[:head.find(b"\r\n")].endswith(b"HTTP/1.0")  # RFC 9110: ignored there
        if len(buffer) < end + len(HEAD_END) + length and not http10:
            try:
                conn.sock.send(_CONTINUE, socket.MSG_DONTWAIT)
            except OSError:
                pass
    return WHOLE if len(buffer) >= end + len(HEAD_END) + length else MORE


class _ErrorPage:
    """A stand-in for the client's socket while gunicorn writes its error page: the bytes are
    kept, and HeadFirstWorker.handle_error sends the API's answer instead."""

    def __init__(self):
        self.data = b""

    def gettimeout(self) -> float:
        return 0.0

    def sendall(self, data: bytes) -> None:
        self.data += data


def json_error(page: bytes) -> bytes:
    """gunicorn's HTML error page as the API's error format (`{"error": {"code", "message"}}`),
    same status: "414 URI Too Long" gives code "uri_too_long"."""
    _, status, reason = page.split(b"\r\n", 1)[0].decode("latin-1").split(" ", 2)
    why = "the server could not read this request" if status.startswith("4") else "the server failed on it"
    body = json.dumps({"error": {"code": reason.lower().replace(" ", "_").replace("-", "_"),
                                 "message": f"{reason}: {why}."}}).encode()
    return (f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode("latin-1") + body


_TOO_LARGE = json_error(b"HTTP/1.1 431 Request Header Fields Too Large\r\n")


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
    wait. Closing lingers in the event loop as well (LINGER). A client that asks for "100
    Continue" gets it once its head is read, and its body is waited for like any other. Still
    read by the thread, as in gthread: chunked bodies and larger bodies (the app refuses those
    unread). Reading stays on the pool thread, as in gthread: done in the event loop it cost
    every request two more handovers of the GIL between the two threads, which showed as slower
    /similar and search in `python -m bench.configs`. Plain HTTP/1 only; with TLS it is gthread
    unchanged. Built on gthread's internals (pending_conns, finish_request,
    _cap_keepalive), hence the pin on gunicorn's major version in setup.cfg."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.closing_conns = deque()  # lingering closes, ordered by deadline

    def handle(self, conn):
        """In a pool thread: serve the request if it is whole, else hand the connection back."""
        if self.cfg.is_ssl:
            return super().handle(conn)
        found = self._read_available(conn)
        if found is not WHOLE:  # False: gthread's answer for "close this connection"
            return _AWAIT_MORE if found is MORE else False
        conn.head_deadline = None
        conn.data_ready = True  # never gthread's blocking wait_for_data
        conn.sock.setblocking(True)
        conn.init()
        conn.parser.unreader.unread(bytes(conn.buffer))
        conn.buffer = bytearray()
        return super().handle(conn)

    @staticmethod
    def _read_available(conn) -> bool | None:
        """Add what the client has sent to conn.buffer without waiting: WHOLE, MORE or CLOSE (the
        client left, or its head outgrew any request of this app's: answered 431)."""
        if getattr(conn, "buffer", None) is None:
            conn.buffer = bytearray()
        if conn.parser is not None:  # bytes a client sent ahead of its next request
            conn.buffer[:0] = conn.parser.unreader.take_buffered()
        while (found := _first_request(conn)) is MORE:
            try:
                data = conn.sock.recv(65536, socket.MSG_DONTWAIT)
            except (BlockingIOError, InterruptedError):
                return MORE
            except OSError:
                return CLOSE
            if not data:
                return CLOSE
            conn.buffer += data
        return found

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

    def handle_error(self, req, client, addr, exc):
        """A request gunicorn could not parse (a URL over its line limit: 414; a malformed
        line: 400) is answered in the API's error format, not gunicorn's HTML page; the status
        and the log are gunicorn's."""
        page = _ErrorPage()
        super().handle_error(req, page, addr, exc)
        if page.data:
            try:
                util.write_nonblock(client, json_error(page.data))
            except OSError:
                self.log.debug("Failed to send error message.")

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


def exit_without_inherited_handlers(worker) -> None:
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
