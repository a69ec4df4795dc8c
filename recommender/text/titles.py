"""MovieLens title conventions: "Godfather, The (1972)" -> display "The Godfather", year 1972."""
import re
import unicodedata

# Articles MovieLens moves to the end of a title, in the languages its catalogue holds.
ARTICLES = (
    "The", "A", "An", "Les", "La", "Le", "L'", "Il", "Lo", "I", "Gli", "Das", "Der", "Die",
    "Den", "Det", "El", "Los", "Las", "Un", "Une", "Uno", "Una", "O", "Os", "As", "De", "Het", "Ta",
)
_YEAR_AT_END = re.compile(r"\s*\((\d{4})(?:[-–]\d{0,4})?\)\s*$")
_TRAILING_ARTICLE = re.compile(r"^(?P<body>.+), (?P<article>" + "|".join(map(re.escape, ARTICLES)) + r")$")
_PARENTHETICAL_TAIL = re.compile(r"^(?P<main>.+?)(?P<tail>(?:\s+\([^()]*\))+)$")
_RELEASE_YEAR = re.compile(r"(\d{4})\s*$")


def split_year(title: str) -> tuple[str, int | None]:
    """Strip a trailing "(1995)" (or "(1994-1998)") and return it as an int."""
    title = title.strip()
    match = _YEAR_AT_END.search(title)
    if not match:
        return title, None
    return title[: match.start()].strip(), int(match.group(1))


def _front_article(text: str) -> str:
    match = _TRAILING_ARTICLE.match(text)
    if not match:
        return text
    article = match.group("article")
    joiner = "" if article.endswith("'") else " "
    return f"{article}{joiner}{match.group('body')}"


def display_title(title: str) -> str:
    """The title as people say it: year dropped, trailing article moved to the front.

    Alternative titles in parentheses stay where they are:
    "City of Lost Children, The (Cité des enfants perdus, La) (1995)"
    -> "The City of Lost Children (Cité des enfants perdus, La)".
    """
    bare, _ = split_year(title)
    match = _PARENTHETICAL_TAIL.match(bare)
    if match:
        return _front_article(match.group("main").strip()) + match.group("tail")
    return _front_article(bare)


def main_title(display: str) -> str:
    """A display title without its alternative titles in parentheses: "Seven (Se7en)" -> "Seven",
    "Independence Day (ID4)" -> "Independence Day"."""
    match = _PARENTHETICAL_TAIL.match(display.strip())
    return match.group("main").strip() if match else display.strip()


def year_from_release_date(release_date: str | None) -> int | None:
    """ML-100K release dates look like "01-Jan-1995"."""
    if not release_date:
        return None
    match = _RELEASE_YEAR.search(str(release_date))
    return int(match.group(1)) if match else None


def search_key(text: str) -> str:
    """Case-, accent- and punctuation-insensitive form used for title lookup ("Amélie" -> "amelie")."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    words = re.findall(r"[0-9a-z]+", stripped.casefold())
    return " ".join(words)
