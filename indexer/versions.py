"""Index versions on disk: `<root>/<version>/` folders, `<root>/CURRENT` naming the live one.

A version is built in a hidden `.building-*` folder, renamed into place only when complete, and
made live by replacing CURRENT with `os.replace` (atomic on POSIX): a reader sees the old version
or the new one, never half of either. A crash mid-build leaves only a stray hidden folder, removed
by the next build."""
from __future__ import annotations

import fcntl
import json
import os
import shutil
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from recommender.serving.index import VersionError, current_version, sha256, verify, versions
from recommender.serving.layout import CURRENT, MANIFEST

BUILDING_PREFIX = ".building-"
__all__ = ["VersionError", "current_version", "verify", "start_build", "finish_build", "write_manifest",
           "switch", "prune", "versions", "build_lock"]


def new_version_name() -> str:
    """Sortable by build time to the microsecond, with the builder's pid for crash clean-up."""
    now = time.time()
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(now)) + f".{int(now % 1 * 1e6):06d}"
    return f"{stamp}-{os.getpid()}"


def start_build(root: Path) -> Path:
    """A fresh hidden folder to build into; those left by crashed builds are removed first."""
    root.mkdir(parents=True, exist_ok=True)
    for stale in root.glob(BUILDING_PREFIX + "*"):
        pid = _builder_pid(stale.name[len(BUILDING_PREFIX):])
        if pid is None or not _alive(pid):
            shutil.rmtree(stale, ignore_errors=True)
    building = root / (BUILDING_PREFIX + new_version_name())
    building.mkdir()
    return building


def _builder_pid(version: str) -> int | None:
    parts = version.split("-")
    return int(parts[1]) if len(parts) == 2 and parts[1].isdigit() else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def write_manifest(folder: Path, manifest: dict) -> dict:
    """Add a checksum of every file, then write manifest.json."""
    manifest = dict(manifest)
    manifest["files"] = {p.relative_to(folder).as_posix(): {"sha256": sha256(p), "bytes": p.stat().st_size}
                         for p in sorted(folder.rglob("*")) if p.is_file() and p.name != MANIFEST}
    tmp = folder / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True))
    os.replace(tmp, folder / MANIFEST)
    return manifest


def finish_build(building: Path) -> Path:
    """Rename the completed build folder to its version name."""
    version = building.name[len(BUILDING_PREFIX):]
    final = building.parent / version
    os.replace(building, final)
    return final


def switch(root: Path, version: str) -> None:
    """Point CURRENT at `version`: temp file, fsync, os.replace."""
    if not (root / version / MANIFEST).is_file():
        raise VersionError(f"cannot switch to {version}: no such complete version")
    fd, tmp = tempfile.mkstemp(prefix=".CURRENT-", dir=root)
    with os.fdopen(fd, "w") as out:
        out.write(version + "\n")
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, root / CURRENT)


def prune(root: Path, keep: int = 2) -> list[str]:
    """Remove all but the newest `keep` versions; never the live one."""
    live = current_version(root)
    removed = []
    for name in versions(root)[:-keep] if keep else versions(root):
        if name != live:
            shutil.rmtree(root / name, ignore_errors=True)
            removed.append(name)
    return removed


@contextmanager
def build_lock(root: Path):
    """One build at a time per index root; a second `flask index rebuild` waits its turn."""
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
