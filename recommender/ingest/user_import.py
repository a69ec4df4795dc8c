"""Ratings exported from Letterboxd (`ratings.csv`) or IMDb (`ratings.csv` of "Your ratings"),
read and matched to the catalogue so the user can review them before anything is written.

No Flask and no writes here: the web layer hands in the file's bytes and the catalogue's titles,
gets back a preview (one dict per line of the file), keeps it in the store
(recommender.store.user_import) and, once the user has chosen among ambiguous matches, turns it
into the ratings to write with `ratings_to_write`.

Matching: a film of the file and a catalogue entry match when one of their titles has the same
key (recommender.text.titles.search_key: case, accents and punctuation ignored; a leading
article dropped, "&" read as "and") and their years are at most YEAR_TOLERANCE apart. A
catalogue title's parenthesised alternative ("City of Lost Children, The (Cité des enfants
perdus, La) (1995)") is a title of its own, and so is IMDb's "Original Title". Exactly one
candidate: matched; several (two films of one title within a year of each other): ambiguous,
the user picks; none: unmatched. A remake of another year never competes (the year decides)."""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from recommender.text.titles import ARTICLES, display_title, search_key, split_year

MAX_BYTES = 5 * 1024 * 1024  # a 20,000-film IMDb export is about 4 MB
MAX_ROWS = 20_000  # lines of ratings, blank lines not counted
YEAR_TOLERANCE = 1  # release years differ by a year between sites (festival vs. cinema release)
MIN_YEAR, MAX_YEAR = 1870, 2100

LETTERBOXD, IMDB = "letterboxd", "imdb"
FORMATS = (LETTERBOXD, IMDB)
# The columns each layout must have (case-insensitive); others are read where present.
REQUIRED = {LETTERBOXD: ("Date", "Name", "Year", "Rating"), IMDB: ("Const", "Your Rating", "Title", "Year")}
LAYOUT_NAMES = {LETTERBOXD: "a Letterboxd ratings.csv (Date,Name,Year,Letterboxd URI,Rating)",
                IMDB: "an IMDb ratings export (Const,Your Rating,Date Rated,Title,…,Year,…)"}

MATCHED, AMBIGUOUS, UNMATCHED, DUPLICATE, INVALID = "matched", "ambiguous", "unmatched", "duplicate", "invalid"
NEAR_CANDIDATES = 3  # films a misspelt title is offered as, at most
STATUSES = (MATCHED, AMBIGUOUS, UNMATCHED, DUPLICATE, INVALID)

_ARTICLE_KEYS = frozenset(search_key(a) for a in ARTICLES)
_TRAILING_ALTERNATIVES = re.compile(r"(?:\s*\([^()]*\))+\s*$")
_ALTERNATIVE = re.compile(r"\(([^()]*)\)")
_AKA = re.compile(r"^\s*a\.?\s*k\.?\s*a\.?\s+", re.IGNORECASE)
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")


class InvalidImport(ValueError):
    """A file that cannot be imported: not UTF-8 CSV, or neither export layout (HTTP 400)."""


class ImportTooLarge(InvalidImport):
    """A file over MAX_BYTES or MAX_ROWS (HTTP 413)."""


class InvalidChoice(ValueError):
    """A choice for an ambiguous line that is not one of its candidates."""


@dataclass(frozen=True)
class FileRow:
    """One line of ratings as the file has it; `problem` says why it cannot be imported."""
    line: int
    title: str
    year: int | None
    rating: float | None
    rated_at: int | None  # seconds since the epoch, from the file's date (UTC midnight)
    other_titles: tuple[str, ...] = ()
    problem: str | None = None


# --- reading the file -------------------------------------------------------------------------

def _decode(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise ImportTooLarge(f"the file is over {MAX_BYTES // (1024 * 1024)} MB; export fewer ratings or split it")
    try:
        text = data.decode("utf-8-sig")  # with or without the byte order mark Excel adds
    except UnicodeDecodeError:
        raise InvalidImport("the file is not UTF-8 text: upload the CSV exactly as Letterboxd or IMDb "
                            "exported it") from None
    if "\x00" in text:
        raise InvalidImport("the file is not a CSV text file")
    if not text.strip():
        raise InvalidImport("the file is empty")
    return text


def detect_format(header: list[str]) -> str | None:
    """LETTERBOXD or IMDB from the header's column names, None when neither layout fits."""
    names = {h.strip().casefold() for h in header}
    for fmt in (IMDB, LETTERBOXD):  # IMDb's has more required columns: tried first
        if all(c.casefold() in names for c in REQUIRED[fmt]):
            return fmt
    return None


def _year(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isdigit() and MIN_YEAR <= int(text) <= MAX_YEAR else None


def _date(text: str) -> int | None:
    """"2019-05-03" (both sites' layout) as UTC midnight in epoch seconds; None if unreadable."""
    match = _DATE.match(text.strip())
    if not match:
        return None
    try:
        day = datetime(*map(int, match.groups()), tzinfo=UTC)
    except ValueError:
        return None
    return int(day.timestamp())


def _stars(text: str, fmt: str) -> float | None:
    """Half stars from 0.5 to 5: Letterboxd's as they are, IMDb's 1-10 halved; None if not a rating."""
    try:
        value = float(text.strip())
    except ValueError:
        return None
    stars = value / 2 if fmt == IMDB else value
    if fmt == IMDB and not value.is_integer():
        return None
    return stars if 0.5 <= stars <= 5.0 and (stars * 2).is_integer() else None


def _file_row(line: int, cells: list[str], columns: dict[str, int], width: int, fmt: str) -> FileRow:
    def cell(name: str) -> str:
        at = columns.get(name.casefold())
        return cells[at].strip() if at is not None and at < len(cells) else ""

    title = cell("Name" if fmt == LETTERBOXD else "Title")
    year_text = cell("Year")
    year = _year(year_text)
    rating_text = cell("Rating" if fmt == LETTERBOXD else "Your Rating")
    rating = _stars(rating_text, fmt)
    rated_at = _date(cell("Date" if fmt == LETTERBOXD else "Date Rated"))
    original = cell("Original Title") if fmt == IMDB else ""
    others = (original,) if original and original != title else ()
    problem = None
    if len(cells) < width:
        problem = "this line is incomplete (was the file cut off?)"
    elif len(cells) > width:
        problem = "this line has more fields than the header"
    elif not title:
        problem = "no title"
    elif year_text and year is None:
        problem = f"{year_text!r} is not a year"
    elif rating is None:
        scale = "1 to 10" if fmt == IMDB else "0.5 to 5 in half stars"
        problem = f"no rating from {scale}" if not rating_text else f"{rating_text!r} is not a rating from {scale}"
    return FileRow(line, title, year, rating, rated_at, others, problem)


def read_file(data: bytes, fmt: str | None = None) -> tuple[str, list[FileRow]]:
    """The file's layout and its lines of ratings (blank lines skipped, line numbers as in the
    file, header = line 1). InvalidImport when it is not a CSV of either layout (or not of `fmt`
    when given), ImportTooLarge over MAX_BYTES or MAX_ROWS."""
    if fmt is not None and fmt not in FORMATS:
        raise InvalidImport(f"format must be one of {', '.join(FORMATS)}")
    text = _decode(data)
    reader = csv.reader(io.StringIO(text, newline=""), strict=False)
    try:
        header = next((row for row in reader if any(c.strip() for c in row)), [])
        found = detect_format(header)
        if found is None or (fmt is not None and found != fmt):
            wanted = LAYOUT_NAMES[fmt] if fmt else " or ".join(LAYOUT_NAMES.values())
            raise InvalidImport(f"this CSV is not {wanted}: its header is {','.join(header)[:200]!r}")
        columns = {name.strip().casefold(): i for i, name in reversed(list(enumerate(header)))}
        rows = []
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            if len(rows) == MAX_ROWS:
                raise ImportTooLarge(f"the file has more than {MAX_ROWS} ratings; split it into smaller files")
            rows.append(_file_row(reader.line_num, cells, columns, len(header), found))
    except csv.Error as exc:
        raise InvalidImport(f"the file is not a readable CSV (line {reader.line_num}: {exc})") from None
    return found, rows


# --- matching --------------------------------------------------------------------------------

def _spell_out_other_scripts(text: str) -> str:
    """search_key keeps Latin letters and digits only. Each letter of another script (Cyrillic,
    Greek, Japanese…) becomes an ASCII word of its code point, which search_key keeps, so two
    titles in those scripts compare like any other (and never all as the empty key)."""
    if text.isascii():  # most titles: nothing to spell out
        return text
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(f" u{ord(ch):x} " if ch.isalpha() and not unicodedata.name(ch, "").startswith("LATIN")
                   else ch for ch in folded)


def match_key(title: str) -> str:
    """The key two spellings of one title share: "The Usual Suspects", "Usual Suspects, The"
    (once fronted by display_title) and "usual suspects!" all give "usual suspects"."""
    words = search_key(_spell_out_other_scripts(title.replace("&", " and "))).split()
    if len(words) > 1 and words[0] in _ARTICLE_KEYS:
        words = words[1:]
    return " ".join(words)


def title_keys(title: str) -> set[str]:
    """Every key a title answers to: as written (its year dropped, a trailing article fronted),
    its main part, and each parenthesised alternative ("a.k.a." dropped)."""
    shown = display_title(title) or split_year(title)[0]
    tail = _TRAILING_ALTERNATIVES.search(shown)
    variants = [shown]
    if tail and tail.start() > 0:
        variants.append(shown[:tail.start()])
        variants += [display_title(_AKA.sub("", alt)) for alt in _ALTERNATIVE.findall(tail.group())]
    return {key for key in map(match_key, variants) if key}


class CatalogueTitles:
    """The catalogue's films by title key, built once per import from (id, title, year) rows."""

    def __init__(self, movies: Iterable[tuple[int, str, int | None]]):
        self.by_key: dict[str, list[tuple[int, int | None]]] = {}
        self.year_of: dict[int, int | None] = {}
        for movie_id, title, year in movies:
            self.year_of[movie_id] = year
            for key in title_keys(title):
                self.by_key.setdefault(key, []).append((movie_id, year))

    def within_a_year(self, movie_ids: Iterable[int], year: int | None) -> list[int]:
        """The catalogue films of `movie_ids` whose year is within YEAR_TOLERANCE of `year`."""
        return [m for m in movie_ids if m in self.year_of and (
            year is None or self.year_of[m] is None or abs(self.year_of[m] - year) <= YEAR_TOLERANCE)]

    def candidates(self, titles: Iterable[str], year: int | None) -> list[int]:
        """Catalogue ids one of `titles` names, within YEAR_TOLERANCE of `year` (any year
        when the file gives none), in id order."""
        found: set[int] = set()
        for title in titles:
            for key in title_keys(title):
                found.update(movie_id for movie_id, movie_year in self.by_key.get(key, ())
                             if year is None or movie_year is None or abs(movie_year - year) <= YEAR_TOLERANCE)
        return sorted(found)


def preview_rows(rows: Iterable[FileRow], titles: CatalogueTitles,
                 near: Callable[[str], list[int]] | None = None) -> list[dict]:
    """One dict per line: `{"line", "title", "year", "rating", "rated_at", "status", "movie",
    "candidates", "note"}` with `movie` a catalogue id (matched lines) and `candidates` the ids to
    choose from (ambiguous lines). A film rated on several lines counts once, from its last line:
    the earlier ones are DUPLICATE, their note naming the line that wins. A title no key matches
    is looked up by `near` (the site's title search, which forgives typos: "Godfathr"), and what
    it finds within a year is offered to choose from, never imported unasked."""
    out = []
    for row in rows:
        item = {"line": row.line, "title": row.title, "year": row.year, "rating": row.rating,
                "rated_at": row.rated_at, "status": INVALID, "movie": None, "candidates": [],
                "note": row.problem}
        if row.problem is None:
            found = titles.candidates((row.title, *row.other_titles), row.year)
            if len(found) == 1:
                item.update(status=MATCHED, movie=found[0])
            elif found:
                item.update(status=AMBIGUOUS, candidates=found,
                            note=f"{len(found)} films in the catalogue fit this title and year: pick one")
            elif near is not None and (guess := titles.within_a_year(near(row.title)[:NEAR_CANDIDATES], row.year)):
                item.update(status=AMBIGUOUS, candidates=guess,
                            note="no film of exactly this title: did you mean one of these? Pick one, or skip")
            else:
                item.update(status=UNMATCHED, note="no film of this title within a year of it in the catalogue")
        out.append(item)
    last_line = {item["movie"]: item["line"] for item in out if item["status"] == MATCHED}
    for item in out:
        if item["status"] == MATCHED and last_line[item["movie"]] != item["line"]:
            item.update(status=DUPLICATE, note=f"rated again on line {last_line[item['movie']]}, which counts")
    return out


def counts(rows: Iterable[Mapping]) -> dict[str, int]:
    """How many lines have each status, every status present."""
    found = dict.fromkeys(STATUSES, 0)
    for row in rows:
        found[row["status"]] += 1
    return found


def ratings_to_write(rows: Iterable[Mapping], choices: Mapping[int, int | None]) -> list[tuple[int, float, int | None]]:
    """(movie id, stars, rated_at) to write, one per film, its last line winning: matched lines,
    and ambiguous lines the user chose a candidate for (`choices`: line -> id, None to skip).
    InvalidChoice for a choice that is not among its line's candidates or for a line that has
    no choice to make."""
    rows = list(rows)
    ambiguous = {row["line"]: row for row in rows if row["status"] == AMBIGUOUS}
    for line, movie_id in choices.items():
        if line not in ambiguous:
            raise InvalidChoice(f"line {line} has no choice to make")
        if movie_id is not None and movie_id not in ambiguous[line]["candidates"]:
            raise InvalidChoice(f"movie {movie_id} is not one of the films line {line} may be")
    chosen: dict[int, tuple[int, float, int | None]] = {}
    for row in rows:
        movie_id = row["movie"] if row["status"] == MATCHED else choices.get(row["line"])
        if movie_id is not None and row["status"] in (MATCHED, AMBIGUOUS):
            chosen.pop(movie_id, None)  # keeps the dict in the order of each film's last line
            chosen[movie_id] = (movie_id, row["rating"], row["rated_at"])
    return list(chosen.values())
