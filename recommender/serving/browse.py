"""What a person narrows and orders the feed by: genres (any of them), a range of years, a
minimum average rating, a sort, and how far down the list they are. No Flask here: the API
checks the values it is sent."""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import sqlite_utils

from recommender.serving.index import LoadedIndex
from recommender.store import rating_stats

SORTS = ("best", "predicted", "popular", "newest", "top_rated")
MAX_OFFSET = 1000  # past this nobody is browsing: a script walking the catalogue
MIN_RATING, MAX_RATING = 0.5, 5.0  # a minimum average outside the scale filters nothing or everything


@dataclass(frozen=True)
class Browse:
    genres: tuple[str, ...] = ()
    year_from: int | None = None
    year_to: int | None = None
    sort: str = "best"
    offset: int = 0
    min_rating: float | None = None  # the lowest average stars a film may have (none: any)

    def __post_init__(self):
        if self.sort not in SORTS:
            raise ValueError(f"sort must be one of {', '.join(SORTS)}")
        if not 0 <= self.offset <= MAX_OFFSET:
            raise ValueError(f"offset must be from 0 to {MAX_OFFSET}")
        if self.year_from is not None and self.year_to is not None and self.year_from > self.year_to:
            raise ValueError("year_from must not be after year_to")
        if self.min_rating is not None and not MIN_RATING <= self.min_rating <= MAX_RATING:
            raise ValueError(f"min_rating must be a number from {MIN_RATING:g} to {MAX_RATING:g}")

    @property
    def at_most_a_genre(self) -> bool:
        """Nothing asked but one genre or none (on any page): the plain feed."""
        return len(self.genres) <= 1 and replace(self, offset=0) == Browse(self.genres)

    @property
    def by_years(self) -> bool:
        return self.year_from is not None or self.year_to is not None


def rated_at_least(db: sqlite_utils.Database, index: LoadedIndex, min_rating: float) -> np.ndarray:
    """A mask of the version's item rows whose average stars reach `min_rating` (a film nobody
    rated has no average, so it is out). The averages are read once per index version, as the
    years are: a film's average moves little between rebuilds."""
    def read() -> np.ndarray:
        ids, means = rating_stats.averages(db)
        out = np.full(len(index.items), np.nan)
        rows = index.rows(ids)
        out[rows[rows >= 0]] = np.asarray(means, dtype=np.float64)[rows >= 0]
        return out

    averages = index.memo.get(("averages",), read)
    return averages >= min_rating - 0.005  # the page shows averages rounded to 0.01: 3.995 reads 4.00
