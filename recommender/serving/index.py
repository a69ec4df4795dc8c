"""The read side of an index version: check it against its manifest and load it for serving.

Every file is read whole into private memory and checked against the size and SHA-256 its
manifest records, while it is read; float arrays are checked for NaN. Nothing stays memory-mapped:
a mapped file truncated under a worker turns its next request into SIGBUS, which no Python code
can catch, and bytes overwritten in place would change what a worker serves without any check.
With a private copy a damaged version is refused at load, and a live one damaged on disk later
keeps serving from memory while `LoadedIndex.changed_on_disk` says so. gunicorn's preload_app
loads the live version in the master before the fork, so the workers share its pages
copy-on-write (docs/scaling.md). A model that searches the version's own text or item index
(`ServingModel.shared_index_files`) is handed that one object. The write side is indexer/versions.py."""
from __future__ import annotations

import hashlib
import io
import json
import logging
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import faiss
import numpy as np

from recommender.models import ServingModel, history, load_model
from recommender.models.rating import RatingModel, load_rating_model
from recommender.serving.layout import (
    COLLAB_INDEX,
    CONTENT_INDEX,
    CONTENT_VECTORS,
    CURRENT,
    GENRE_MATRIX,
    GENRE_VECTORS,
    GENRES,
    MANIFEST,
    MODEL_DIR,
    MOVIE_IDS,
    RATING_DIR,
    users_index,
)
from recommender.serving.memo import Memo
from recommender.vectors import faiss_io
from recommender.vocab import Vocabulary

log = logging.getLogger(__name__)

CURRENT_MAX_BYTES = 256  # a version name is a few dozen characters; more is not a name
READ_BLOCK = 1 << 20
SEARCH_KNOWN_WEIGHT = 0.1  # free-text search: among equals, the film people have heard of
SEARCH_LIKED_WEIGHT = 0.2  # ... and, more, the one they liked (`LoadedIndex.search_prior`)


class VersionError(Exception):
    """A version that is missing, incomplete or fails its checks."""


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(READ_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


def read_manifest(folder: Path) -> dict:
    try:
        manifest = json.loads((folder / MANIFEST).read_bytes())
    except (OSError, ValueError) as exc:
        raise VersionError(f"{folder.name}: unreadable manifest ({exc})") from exc
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files", {}), dict):
        raise VersionError(f"{folder.name}: the manifest is not an object with a files table")
    return manifest


def verify(folder: Path, checksums: bool = True) -> dict:
    """The manifest, once every file it lists is present with the recorded size (and checksum).

    A check of a folder without loading it (the indexer's); load_index checks the same, and
    more, on the very bytes it keeps."""
    manifest = read_manifest(folder)
    for name, info in manifest.get("files", {}).items():
        path = folder / name
        if not path.is_file() or path.stat().st_size != info["bytes"] or (
                checksums and sha256(path) != info["sha256"]):
            raise VersionError(f"{folder.name}: {name} is missing or corrupt")
    return manifest


def read_current(root: Path) -> str | None:
    """The version CURRENT names, None before the first build; VersionError when CURRENT holds
    something that cannot name a version folder of `root` (bytes that are not UTF-8, a path
    such as ../x, a hidden build folder): the caller serves without it and says why."""
    try:
        with open(Path(root) / CURRENT, "rb") as f:
            raw = f.read(CURRENT_MAX_BYTES + 1)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise VersionError(f"CURRENT cannot be read ({exc.strerror or exc})") from exc
    return parse_current(raw)


def parse_current(raw: bytes) -> str | None:
    """The version name in CURRENT's bytes (None: empty); VersionError when they name none."""
    if len(raw) > CURRENT_MAX_BYTES:
        raise VersionError("CURRENT is too long to hold a version name")
    try:
        name = raw.decode("utf-8").strip()
    except UnicodeDecodeError as exc:
        raise VersionError("CURRENT holds bytes that are not UTF-8 text") from exc
    if not name:
        return None
    if not _plain_name(name):
        raise VersionError(f"CURRENT names {name!r}, which is not a version folder name")
    return name


def _plain_name(name: str) -> bool:
    """One visible path component: never a way out of the index root (../x, /etc) or into a
    hidden build folder."""
    return (name.isprintable() and not name.startswith(".") and "/" not in name
            and "\\" not in name and Path(name).name == name)


def versions(root: Path) -> list[str]:
    """Complete versions (a folder with its manifest), oldest first: names are build times."""
    root = Path(root)
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir()
                  if p.is_dir() and not p.name.startswith(".") and (p / MANIFEST).is_file())


def current_version(root: Path) -> str | None:
    """The version CURRENT names, or None before the first build or when CURRENT names none
    (read_current says why)."""
    try:
        return read_current(root)
    except VersionError as exc:
        log.warning("%s", exc)
        return None


def _stamp(stat: os.stat_result) -> tuple[int, int, int]:
    """What says a file is still the one that was read: inode (replaced), size, mtime."""
    return stat.st_ino, stat.st_size, stat.st_mtime_ns


class VersionFiles:
    """A version's files read into private memory, each checked against its manifest entry
    (size, then SHA-256 of exactly the bytes kept) as it is read; a file the manifest does not
    list is refused. Remembers what each checked file looked like on disk, so that a later
    change to it can be noticed (`changed`). The reader load_model is handed."""

    def __init__(self, folder: Path, manifest: dict):
        self.folder = Path(folder)
        self.version = self.folder.name
        self.listed: dict = manifest.get("files", {})
        self.stamps: dict[str, tuple[int, int, int]] = {}

    def _entry(self, path: Path) -> tuple[str, dict]:
        """`path`'s name in the manifest and its entry; VersionError when it has none, or when
        the name leads out of the version folder."""
        name = Path(path).relative_to(self.folder).as_posix()
        if ".." in Path(name).parts:
            raise VersionError(f"{self.version}: {name} leads out of the version folder")
        info = self.listed.get(name)
        if not isinstance(info, dict) or "bytes" not in info or "sha256" not in info:
            raise VersionError(f"{self.version}: {name} is not in the manifest")
        return name, info

    def read(self, path: Path) -> np.ndarray:
        """The file's bytes as a uint8 array, once they match the manifest."""
        name, _ = self._entry(path)
        return self._checked(name, keep=True)

    def _checked(self, name: str, keep: bool) -> np.ndarray | None:
        """Read `name` whole (kept in a fresh array when `keep`, else only hashed), check size
        and checksum, and remember how the file looked on disk."""
        info = self.listed[name]
        try:
            with open(self.folder / name, "rb") as f:
                stat = os.fstat(f.fileno())
                _check_size(self.version, name, stat.st_size, info["bytes"])
                buffer, digest = _read_hashed(f, stat.st_size, keep)
        except FileNotFoundError as exc:
            raise VersionError(f"{self.version}: {name} is missing or corrupt (no such file)") from exc
        except OSError as exc:
            raise VersionError(f"{self.version}: {name} cannot be read ({exc})") from exc
        if digest is None:
            raise VersionError(f"{self.version}: {name} is corrupt: it got shorter while read (truncated)")
        if digest != info["sha256"]:
            raise VersionError(f"{self.version}: {name} is corrupt: its bytes do not match the "
                               "manifest's checksum")
        self.stamps[name] = _stamp(stat)
        return buffer

    def text(self, path: Path) -> str:
        name, _ = self._entry(path)
        try:
            return self.read(path).tobytes().decode("utf-8")
        except UnicodeDecodeError as exc:
            raise VersionError(f"{self.version}: {name} is not UTF-8 text") from exc

    def json(self, path: Path):
        name, _ = self._entry(path)
        try:
            return json.loads(self.text(path))
        except ValueError as exc:
            raise VersionError(f"{self.version}: {name} is not JSON ({exc})") from exc

    def array(self, path: Path) -> np.ndarray:
        """A read-only array over the checked bytes (no second copy); no NaN or +inf in a float
        array (-inf marks an empty slot, as in FactorHybrid's stored similar lists)."""
        name, _ = self._entry(path)
        array = _npy(self.read(path), f"{self.version}: {name}")
        _check_finite(array, f"{self.version}: {name}")
        return array

    def index(self, path: Path) -> faiss.Index:
        """A FAISS index from the checked bytes, its stored vectors checked like arrays."""
        name, _ = self._entry(path)
        try:
            index = faiss_io.from_bytes(self.read(path))
        except VersionError:
            raise
        except Exception as exc:  # a FAISS file that parses wrongly is a damaged version
            raise VersionError(f"{self.version}: {name} is not a FAISS index ({exc})") from exc
        vectors = faiss_io.stored_vectors(index)
        if vectors is not None:
            _check_finite(vectors, f"{self.version}: {name}")
        return index

    def check_unread(self) -> None:
        """Check every listed file not loaded (user profiles, the query encoder): the whole
        version is as its build left it, or it is refused."""
        for name in sorted(set(self.listed) - set(self.stamps)):
            self._entry(self.folder / name)
            self._checked(name, keep=False)

    def changed(self) -> list[str]:
        """The checked files that are no longer on disk as they were read (rewritten, truncated,
        replaced or gone): a few stat calls, cheap enough for every health check."""
        changed = []
        for name, stamp in self.stamps.items():
            try:
                now = _stamp(os.stat(self.folder / name))
            except OSError:
                now = None
            if now != stamp:
                changed.append(name)
        return changed


def _check_size(version: str, name: str, actual: int, recorded: int) -> None:
    if actual != recorded:
        raise VersionError(f"{version}: {name} is corrupt: {actual} bytes, its manifest says {recorded} "
                           "(truncated or replaced)")


def _read_hashed(f, size: int, keep: bool = True) -> tuple[np.ndarray | None, str | None]:
    """All `size` bytes of `f`, hashed block by block as they arrive (while in cache): into a
    fresh array when `keep`, else through one reused block. Digest None when the file ends early."""
    buffer = np.empty(size if keep else min(size, READ_BLOCK), dtype=np.uint8)
    view, digest, done = memoryview(buffer), hashlib.sha256(), 0
    while done < size:
        block = view[done:done + READ_BLOCK] if keep else view[:min(size - done, READ_BLOCK)]
        got = f.readinto(block)
        if not got:
            return None, None
        digest.update(block[:got])
        done += got
    return (buffer if keep else None), digest.hexdigest()


def _npy(buffer: np.ndarray, what: str) -> np.ndarray:
    """The array a .npy file's bytes hold, as a read-only view of them; VersionError when the
    header is malformed, holds objects, or disagrees with the length."""
    raw = memoryview(buffer)
    try:
        header = io.BytesIO(raw[:_npy_header_end(raw)].tobytes())
        version = np.lib.format.read_magic(header)
        read_header = {(1, 0): np.lib.format.read_array_header_1_0,
                       (2, 0): np.lib.format.read_array_header_2_0}[version]
        shape, fortran, dtype = read_header(header)
    except (ValueError, KeyError, EOFError, OSError) as exc:
        raise VersionError(f"{what} is not a .npy array ({exc})") from exc
    start, count = header.tell(), int(np.prod(shape, dtype=np.int64))
    if dtype.hasobject or start + count * dtype.itemsize != len(buffer):
        raise VersionError(f"{what}: the .npy header does not describe its data")
    array = buffer[start:].view(dtype).reshape(shape, order="F" if fortran else "C")
    array.flags.writeable = False
    return array


def _npy_header_end(raw: memoryview) -> int:
    """Where a .npy header ends: magic, version, its length field, then the header itself."""
    if len(raw) < 10 or raw[:6].tobytes() != b"\x93NUMPY":
        raise ValueError("no .npy magic")
    if raw[6] == 1:
        return 10 + int.from_bytes(raw[8:10].tobytes(), "little")
    if len(raw) < 12:
        raise ValueError("truncated .npy header")
    return 12 + int.from_bytes(raw[8:12].tobytes(), "little")


def _check_finite(values: np.ndarray, what: str) -> None:
    """VersionError when a float array holds NaN or +inf; one pass, no temporary: the largest
    value is NaN if any is, +inf if any is."""
    if values.dtype.kind != "f" or values.size == 0:
        return
    peak = values.max()
    if np.isnan(peak) or peak == np.inf:
        raise VersionError(f"{what} is corrupt: it holds values that are not finite")


@dataclass
class LoadedIndex:
    """One version, loaded read-only: what feed, similar and search consult."""

    version: str
    folder: Path
    manifest: dict
    items: Vocabulary
    content_vectors: np.ndarray
    content_index: faiss.Index
    collab_items: faiss.Index
    model: ServingModel
    genre_names: list[str]
    genre_matrix: np.ndarray  # items x genres, 0/1
    genre_vectors: np.ndarray  # genres x dim: each genre's description, embedded
    files: VersionFiles  # what was read, and how it looked on disk
    rating_model: RatingModel | None = None  # predicted stars; None in a version built before them
    memo: Memo = field(default_factory=Memo, repr=False, compare=False)  # answers given while serving

    @cached_property
    def users_collab(self) -> faiss.Index:
        """User profiles in the item-vector space (for the dense hybrid, the liked-film profiles
        its "people like you" part compares, which it holds itself): checked and read on first
        use only, since no request reads this file (hundreds of MB at ML-25M)."""
        return self.files.index(self.folder / users_index("collab"))

    @cached_property
    def users_content(self) -> faiss.Index:
        """User profiles in the text space, read like users_collab."""
        return self.files.index(self.folder / users_index("content"))

    def changed_on_disk(self) -> list[str]:
        """Files of this version that changed on disk since they were read; it keeps serving
        from memory, but a restart or a new worker would refuse it."""
        return self.files.changed()

    @property
    def movie_ids(self) -> np.ndarray:
        return self.items.ids

    @property
    def embedder(self) -> str:
        return self.manifest.get("embedder", "minilm")

    @property
    def popularity(self) -> np.ndarray:
        """Number of ratings per item row at build time."""
        return np.asarray(self.model.parts["popularity"].counts)

    def genre_mask(self, genre: str) -> np.ndarray:
        """Item rows in `genre` (a fresh array: callers may change it); none for an unknown genre."""
        if genre not in self.genre_names:
            return np.zeros(len(self.items), dtype=bool)
        return self.genre_matrix[:, self.genre_names.index(genre)].astype(bool)

    @cached_property
    def _same_film(self) -> np.ndarray:
        """Each item row's stand-in (item_similarity.same_film), or itself in a version built
        before films listed twice were told apart."""
        same = self.model.arrays.get("same_film") if self.model is not None else None
        return np.arange(len(self.items)) if same is None else np.asarray(same, dtype=np.int64)

    @cached_property
    def _stand_ins(self) -> np.ndarray:
        return self._same_film == np.arange(len(self.items))

    @cached_property
    def _listed_twice(self) -> np.ndarray:
        """Rows of a film the catalogue lists more than once (any copy)."""
        return np.bincount(self._same_film, minlength=len(self.items))[self._same_film] > 1

    def stand_ins(self) -> np.ndarray:
        """Item rows that stand for their film (a fresh array): what lists may show; the other
        copy of a film listed twice is left out."""
        return self._stand_ins.copy()

    def same_films(self, rows: np.ndarray) -> np.ndarray:
        """`rows` and every other row of the same films: rating one copy is rating the film
        (`rows` as they are when none is listed twice: every feed request asks)."""
        rows = np.asarray(rows, dtype=np.int64)
        if not self._listed_twice[rows].any():
            return rows
        same = self._same_film
        return np.flatnonzero(np.isin(same, same[rows]))

    @cached_property
    def search_prior(self) -> np.ndarray:
        """Per item row, what free-text search adds to a film's text and genre match: among
        equals, the film people have heard of (log(1 + ratings), 0..1) and, more, the one they
        liked (its mean stars shrunk towards the catalogue's, 0..1: the model's quality term,
        recommender.models.popularity.Quality). Jaws before Jaws 3-D for "a scary movie about a
        shark", Psycho before Murder at 1600 for "Hitchcock"."""
        counts = self.popularity.astype(np.float64)
        known = np.log1p(counts) / np.log1p(max(float(counts.max(initial=0.0)), 1.0))
        quality = self.model.parts.get("quality") if self.model is not None else None
        liked = np.zeros(len(counts)) if quality is None else np.asarray(quality.item_scores(), dtype=np.float64)
        return (SEARCH_KNOWN_WEIGHT * known + SEARCH_LIKED_WEIGHT * liked).astype(np.float32)

    @cached_property
    def _genre_rankings(self) -> list[np.ndarray]:
        """Per genre, its item rows most-rated first (ties in row order)."""
        counts = self.popularity
        return [rows[np.argsort(-counts[rows], kind="stable")]
                for rows in (np.flatnonzero(column) for column in np.asarray(self.genre_matrix).T)]

    def popular_in_genre(self, genre_column: int, n: int) -> np.ndarray:
        """The `n` most-rated item rows of the genre in column `genre_column`."""
        return self._genre_rankings[genre_column][:n]

    def genre_weights(self, per_genre: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """Per item row (all, or `rows`), the largest of `per_genre` over the item's genres (0: none)."""
        by_genre = self._genre_floats_by_genre if rows is None else self._genre_floats_by_genre[:, rows]
        return (by_genre * per_genre.astype(np.float32)[:, None]).max(axis=0, initial=0.0)

    @cached_property
    def _genre_floats_by_genre(self) -> np.ndarray:
        """The genre matrix transposed and contiguous: a max down its columns runs along memory,
        several times faster than across the short rows of the item-major matrix."""
        return np.ascontiguousarray(np.asarray(self.genre_matrix, dtype=np.float32).T)

    def genres_of(self, row: int) -> list[str]:
        return [self.genre_names[j] for j in np.flatnonzero(self.genre_matrix[row])]

    def rows(self, movie_ids) -> np.ndarray:
        """Item rows of MovieLens ids; -1 for movies this version does not know."""
        return self.items.index(np.asarray(movie_ids, dtype=np.int64))

    def check(self) -> None:
        """A scoring round trip whose shape and values are known; raises VersionError."""
        scores = self.model.score(history([0], len(self.items)))
        if scores.shape != (1, len(self.items)) or not np.isfinite(scores).all():
            raise VersionError(f"{self.version}: the hybrid scores a one-movie history wrongly")
        if self.rating_model is not None:
            stars = self.rating_model.predict([0], [4.0], np.arange(min(len(self.items), 2)))
            low, high = self.rating_model.scale
            if self.rating_model.n_items != len(self.items) or not (np.isfinite(stars).all() and (
                    (stars >= low) & (stars <= high)).all()):
                raise VersionError(f"{self.version}: the rating model predicts a one-movie history wrongly")


def load_index(folder: Path) -> LoadedIndex:
    """Load a complete version into private memory, every file checked against the manifest;
    raises VersionError if anything is missing, damaged or scores wrongly."""
    folder = Path(folder)
    if not folder.is_dir():
        raise VersionError(f"{folder.name}: no such version folder")
    manifest = read_manifest(folder)
    files = VersionFiles(folder, manifest)
    try:
        index = _read_index(folder, manifest, files)
        files.check_unread()
        index.check()
        return index
    except VersionError:
        raise
    except Exception as exc:  # a file that checks out but parses wrongly is a corrupt version, not a crash
        raise VersionError(f"{folder.name}: cannot load ({exc})") from exc


def _read_index(folder: Path, manifest: dict, files: VersionFiles) -> LoadedIndex:
    """Every part serving consults, each file read through `files`."""
    items = Vocabulary(files.array(folder / MOVIE_IDS))
    model = load_model(folder / MODEL_DIR, reader=files)
    if not isinstance(model, ServingModel):
        raise VersionError(f"{folder.name}: its model ({model.kind}) cannot serve")
    indices = {name: files.index(folder / name) for name in (CONTENT_INDEX, COLLAB_INDEX)}
    for space, name in model.shared_index_files.items():
        model.attach_index(space, indices[name])  # one copy for the model and the version
    return LoadedIndex(
        version=folder.name, folder=folder, manifest=manifest, items=items,
        content_vectors=files.array(folder / CONTENT_VECTORS),
        content_index=indices[CONTENT_INDEX],
        collab_items=indices[COLLAB_INDEX],
        model=model,
        genre_names=files.json(folder / GENRES),
        genre_matrix=files.array(folder / GENRE_MATRIX),
        genre_vectors=files.array(folder / GENRE_VECTORS),
        files=files,
        rating_model=(load_rating_model(folder / RATING_DIR, reader=files)
                      if f"{RATING_DIR}/rating.json" in files.listed else None),
    )
