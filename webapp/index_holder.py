"""The live index version of one worker: noticed and swapped between requests, never mid-request.

FAISS indices are safe to search from many threads but not to change while searched, so a new
version is loaded beside the old one and a single reference is replaced. A version is loaded
into private memory and checked file by file (recommender.serving.index.load_index): one that is
missing, damaged or truncated is refused, logged and reported by /healthz, and the worker keeps
the version it had; when it had none, it serves the newest version on disk that loads, and
popularity when none does. The same check that notices a
new CURRENT also looks at the live version's files on disk: when they change under it, the
worker keeps serving its checked copy from memory and /healthz says degraded, with the files.

A new version that replaces a served one is loaded on a background thread: requests go on being
answered from the old version until the new one is ready (no request waits for a load). The
first version of a worker is loaded in line: before it there is nothing to answer from."""
from __future__ import annotations

import logging
import sys
import threading
import time
from pathlib import Path

from flask import Flask

from recommender.serving.index import LoadedIndex, VersionError, load_index, read_current, versions
from recommender.text import embedders, query_encoder

log = logging.getLogger(__name__)
NO_VERSION = "no index version has been built yet (run `flask index rebuild`)"
NAMED_FILES = 4  # files a reason names before "and N more"
_UNREAD = object()  # CURRENT before the first check: never equal to anything read from it
# While a version loads beside the served one, the loading thread gives the interpreter up this
# often (seconds; Python's default is 5 ms): a request thread waiting for it waits a tenth as long
# at each turn, so requests answered during a swap are not held up by the load's Python work.
LOADING_SWITCH_INTERVAL = 0.0005


class IndexHolder:
    def __init__(self, root: Path, check_interval: float = 1.0, swap_in_background: bool = True):
        self.root = Path(root)
        self.check_interval = check_interval
        self.swap_in_background = swap_in_background
        self._loading: threading.Thread | None = None
        self._index: LoadedIndex | None = None
        self._wanted: object = _UNREAD  # CURRENT's name (or its error) at the last check
        self._checked_at = float("-inf")
        self._lock = threading.Lock()
        self._embedders: dict[str, object] = {}
        self._load_error: str | None = None  # why CURRENT's version is not the one served
        self._disk_error: str | None = None  # why the live version's files no longer match

    @property
    def error(self) -> str | None:
        """Why this worker is degraded (both reasons when both hold), or None."""
        reasons = [e for e in (self._load_error, self._disk_error) if e]
        return "; ".join(reasons) or None

    def current(self) -> LoadedIndex | None:
        return self._index

    def refresh(self) -> None:
        """At most every check_interval: swap to the version CURRENT names if it changed, and
        compare the live version's files on disk with what was loaded. Cheap on every request."""
        now = time.monotonic()
        if now - self._checked_at < self.check_interval:
            return
        with self._lock:
            if now - self._checked_at < self.check_interval:
                return
            self._checked_at = now
            self._follow_current()
            self._check_disk()

    def _follow_current(self) -> None:
        """Load what CURRENT names when that changed since the last check; keep what is served
        when it cannot be loaded. Never raises: an unreadable CURRENT is a reason, not a 500."""
        try:
            wanted: object = read_current(self.root)
        except VersionError as exc:
            wanted = exc
        if _same(wanted, self._wanted):
            return
        self._wanted = wanted
        if isinstance(wanted, VersionError):
            self._refuse(f"no usable index version: {wanted}")
            self._fall_back()
        elif wanted is None:
            self._refuse(NO_VERSION)
        elif self._index is not None and self._index.version == wanted:
            self._load_error = None  # CURRENT came back to the version served
        elif self._index is not None and self.swap_in_background:
            self._load_in_background(wanted)
        else:
            self._install(wanted, self._read(wanted))

    def _read(self, version: str) -> LoadedIndex | Exception:
        """The loaded version, or why it cannot be loaded (never raises)."""
        try:
            return load_index(self.root / version)
        except Exception as exc:  # noqa: BLE001 - keep serving what we have (or popularity), and say why
            return exc

    def _install(self, version: str, loaded: LoadedIndex | Exception) -> None:
        """Serve `loaded` (the caller holds the lock), or say why not."""
        if isinstance(loaded, Exception):
            self._refuse(f"index version {version} cannot be loaded: {loaded}")
            self._fall_back(but=version)
        else:
            self._index, self._load_error, self._disk_error = loaded, None, None
            log.info("serving index version %s", version)

    def _load_in_background(self, version: str) -> None:
        """Load `version` on a thread of its own; the lock is held only to install it."""
        if self._loading is not None and self._loading.is_alive():
            return  # when it ends, CURRENT is followed again (below)

        def load():
            previous = sys.getswitchinterval()
            sys.setswitchinterval(LOADING_SWITCH_INTERVAL)
            try:
                loaded = self._read(version)
            finally:
                sys.setswitchinterval(previous)
            with self._lock:
                self._loading = None
                if version == self._wanted:
                    self._install(version, loaded)
                else:  # CURRENT moved on while loading: the next request's check follows it
                    log.info("index version %s loaded, but CURRENT now names another", version)
                    self._wanted, self._checked_at = _UNREAD, float("-inf")

        self._loading = threading.Thread(target=load, name=f"load-index-{version}", daemon=True)
        self._loading.start()

    def wait_for_load(self, timeout: float | None = None) -> None:
        """Until a background load has finished (for tests and the warm-up)."""
        loading = self._loading
        if loading is not None:
            loading.join(timeout)

    def _fall_back(self, but: str | None = None) -> None:
        """With nothing served yet (a worker started onto a damaged version, or a CURRENT that
        names none), the newest version on disk that loads and checks out, rather than the
        popular list: the one served before the damage, most likely. Still degraded, and saying
        so, until CURRENT names a version that loads."""
        if self._index is not None:
            return
        for version in reversed(versions(self.root)):
            if version == but:
                continue
            loaded = self._read(version)
            if not isinstance(loaded, Exception):
                self._index = loaded
                self._load_error += f"; serving {version}, the newest version that loads"
                log.error("serving index version %s instead: %s", version, self._load_error)
                return

    def _refuse(self, reason: str) -> None:
        if self._index is not None:
            reason += f"; still serving {self._index.version}"
        self._load_error = reason
        log.error("%s", reason)

    def _check_disk(self) -> None:
        """Degraded while the live version's files differ from what was read (a few stats)."""
        index = self._index
        changed = index.changed_on_disk() if index is not None else []
        error = (f"index version {index.version} changed on disk since it was loaded "
                 f"({_some(changed)}); serving the copy checked at load" if changed else None)
        if error and error != self._disk_error:
            log.error("%s", error)
        self._disk_error = error

    def embedder(self, name: str):
        """The text model for search queries, loaded once per worker on first use, with a cache
        of recent query vectors: the ONNX encoder the live version ships (no torch in the
        worker), else the original model `name`."""
        index = self._index
        shipped = index.manifest.get("query_encoder") if index is not None and index.embedder == name else None
        key = (name, index.manifest["files"][shipped["model"]]["sha256"] if shipped else None)
        with self._lock:
            if key not in self._embedders:
                self._embedders[key] = embedders.CachedEmbedder(query_encoder.for_index(index, name))
            return self._embedders[key]


def _some(names: list[str]) -> str:
    """The first few names, and how many more: a reason stays one readable line."""
    more = len(names) - NAMED_FILES
    return ", ".join(names[:NAMED_FILES]) + (f" and {more} more" if more > 0 else "")


def _same(a: object, b: object) -> bool:
    """Two readings of CURRENT agree: the same name, or errors with the same message."""
    if isinstance(a, VersionError) and isinstance(b, VersionError):
        return str(a) == str(b)
    return a is b or (type(a) is type(b) and a == b)


def init_app(app: Flask) -> None:
    holder = IndexHolder(Path(app.config["INDEX_ROOT"]), app.config.get("INDEX_CHECK_INTERVAL", 1.0),
                         app.config.get("INDEX_SWAP_IN_BACKGROUND", True))
    app.extensions["index_holder"] = holder
    app.before_request(holder.refresh)
