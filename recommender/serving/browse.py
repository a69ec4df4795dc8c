"""What a person narrows and orders the feed by: genres (any of them), a range of years, a sort,
and how far down the list they are. No Flask here: the API checks the values it is sent."""
from __future__ import annotations

from dataclasses import dataclass

SORTS = ("best", "predicted", "popular", "newest", "top_rated")
MAX_OFFSET = 1000  # past this nobody is browsing: a script walking the catalogue


@dataclass(frozen=True)
class Browse:
    genres: tuple[str, ...] = ()
    year_from: int | None = None
    year_to: int | None = None
    sort: str = "best"
    offset: int = 0

    def __post_init__(self):
        if self.sort not in SORTS:
            raise ValueError(f"sort must be one of {', '.join(SORTS)}")
        if not 0 <= self.offset <= MAX_OFFSET:
            raise ValueError(f"offset must be from 0 to {MAX_OFFSET}")
        if self.year_from is not None and self.year_to is not None and self.year_from > self.year_to:
            raise ValueError("year_from must not be after year_to")

    @property
    def at_most_a_genre(self) -> bool:
        """Nothing asked but one genre or none: the plain feed."""
        return len(self.genres) <= 1 and self == Browse(self.genres)

    @property
    def by_years(self) -> bool:
        return self.year_from is not None or self.year_to is not None
