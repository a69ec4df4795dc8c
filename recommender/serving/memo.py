"""Answers a loaded index version has already given, kept while the version serves.

People reload their feed, page back, open a film and come back: the same person with the same
ratings asks the same question many times, and a feed's model work (every film scored by every
term, a person folded into the rating model) is most of what the request costs. A memo keys
each answer by everything it depends on (the person's ratings, hidden and watchlisted films as
they were read for this request, the filter, the depth), never by who asked, so a new rating,
a hidden film or a different filter is a different key: it can only miss, never serve a stale
answer. It belongs to one LoadedIndex, so a new version starts empty and the old one's answers
go with it. Bounded (least recently used out first) and safe across a worker's threads; only
small answers (a page of picks, a few stars) go in, never a score per film of the catalogue."""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

import numpy as np

T = TypeVar("T")
DEFAULT_ENTRIES = 4096


class Memo:
    """A bounded least-recently-used map from a key to an answer computed once."""

    def __init__(self, entries: int = DEFAULT_ENTRIES):
        self.entries = entries
        self._answers: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The answer for `key`, computed by `compute()` on a miss (outside the lock: two threads
        missing at once both compute, and both get a correct answer)."""
        with self._lock:
            if key in self._answers:
                self._answers.move_to_end(key)
                return self._answers[key]
        answer = _read_only(compute())
        if self.entries > 0:
            with self._lock:
                self._answers[key] = answer
                self._answers.move_to_end(key)
                while len(self._answers) > self.entries:
                    self._answers.popitem(last=False)
        return answer

    def __len__(self) -> int:
        return len(self._answers)


def _read_only(answer):
    """The answer with its arrays (alone or in a tuple) made read-only: it is shared by every
    later request, so a caller changing one in place would change them all; now it raises."""
    for a in answer if isinstance(answer, tuple) else (answer,):
        if isinstance(a, np.ndarray):
            a.flags.writeable = False
    return answer


def array_key(*arrays: np.ndarray) -> tuple:
    """A hashable key for the exact contents of `arrays` (dtype, shape and bytes of each)."""
    key = []
    for a in arrays:
        a = np.ascontiguousarray(a)
        key.append((a.dtype.str, a.shape, a.tobytes()))
    return tuple(key)
