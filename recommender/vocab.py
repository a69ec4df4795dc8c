"""Vocabulary: external integer ids <-> dense row numbers, the way LensKit's `Vocabulary` does it.

Models work on rows 0..n-1; the store speaks MovieLens ids. Keeping the mapping as one sorted
numpy array makes it cheap to save next to the model arrays and to look up in bulk.
"""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np


class Vocabulary:
    """Sorted unique ids; row i is `ids[i]`."""

    def __init__(self, ids: Iterable[int] | np.ndarray):
        arr = np.unique(np.asarray(list(ids) if not isinstance(ids, np.ndarray) else ids, dtype=np.int64))
        self._ids = arr
        self._ids.setflags(write=False)

    @property
    def ids(self) -> np.ndarray:
        return self._ids

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, item_id: object) -> bool:
        try:
            return self.number(int(item_id), missing="none") is not None
        except (TypeError, ValueError):
            return False

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocabulary) and np.array_equal(self._ids, other._ids)

    def __repr__(self) -> str:
        return f"Vocabulary({len(self)} ids)"

    def index(self, ids, missing: str = "negative") -> np.ndarray:
        """Rows of `ids` (array-like). Unknown ids give -1, or raise KeyError with missing="error"."""
        ids = np.asarray(ids, dtype=np.int64).ravel()
        if len(ids) == 0 and missing in ("negative", "error"):  # every feed asks for its (mostly empty) hidden list
            return np.zeros(0, dtype=np.int64)
        if len(self._ids) == 0:
            pos = np.zeros(len(ids), dtype=np.int64)
            found = np.zeros(len(ids), dtype=bool)
        else:
            pos = np.searchsorted(self._ids, ids)
            pos_c = np.minimum(pos, len(self._ids) - 1)
            found = self._ids[pos_c] == ids
            pos = pos_c
        if missing == "error" and not found.all():
            raise KeyError(f"unknown id {int(ids[~found][0])}")
        if missing not in ("negative", "error"):
            raise ValueError("missing must be 'negative' or 'error'")
        return np.where(found, pos, -1)

    def number(self, item_id: int, missing: str = "error") -> int | None:
        """Row of one id; KeyError for unknown ids, or None with missing="none"."""
        row = int(self.index([item_id])[0])
        if row < 0:
            if missing == "none":
                return None
            raise KeyError(f"unknown id {item_id}")
        return row

    def term(self, row: int) -> int:
        return int(self._ids[row])

    def terms(self, rows) -> np.ndarray:
        return self._ids[np.asarray(rows, dtype=np.int64)]

    def save(self, path) -> None:
        np.save(path, self._ids)

    @classmethod
    def load(cls, path) -> "Vocabulary":
        return cls(np.load(path, allow_pickle=False))
