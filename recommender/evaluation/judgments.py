""""Movies like X" against sets of judgments: groups of films a person says belong together
(a series, the same makers, a director's films), beside the item-to-item protocol's anchors.

The protocol (recommender.evaluation.item_protocol) asks what X's fans went on to love; a
judgment set asks what a film buff would list. Every film X of a group is a query; the other
films of its group in the catalogue are relevant; the model, fitted on every rating of the
release (recommender.evaluation.item_protocol.run fits them), ranks the catalogue without X.
Per set: hit@k (a relevant film in the top k) and recall@k (the relevant films found over
min(k, how many there are)), averaged over queries.
A set file (docs/protocol.md):

    {"sets": {"franchises": [{"name": "Alien", "movie_ids": [176, 449, ...]}, ...], ...}}

Ids not in the catalogue are dropped; a group left with one film asks nothing.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from recommender.vocab import Vocabulary

K = 10


def load(path: str | Path) -> dict[str, list[list[int]]]:
    """{set name: [group of movie ids]} from a set file; a ValueError says what is wrong."""
    try:
        doc = json.loads(Path(path).read_text())
        sets = doc["sets"]
        return {str(name): [[int(i) for i in group["movie_ids"]] for group in groups]
                for name, groups in sets.items()}
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ValueError(f"{path}: not a judgment set file ({error})") from error


def queries(groups: list[list[int]], items: Vocabulary) -> list[tuple[int, np.ndarray]]:
    """(X's row, the rows of the rest of its group) for every film of every group that has
    another film in the catalogue."""
    out = []
    for group in groups:
        rows = items.index(np.asarray(sorted(set(group)), dtype=np.int64))
        rows = rows[rows >= 0]
        for x in rows:
            rest = rows[rows != x]
            if len(rest):
                out.append((int(x), rest))
    return out


def evaluate(scores: np.ndarray, asked: list[tuple[int, np.ndarray]], k: int = K) -> dict:
    """hit@k and recall@k of an items x items score matrix (row X: every film's similarity to X)
    over the queries of one set."""
    hits, recalls = [], []
    for x, relevant in asked:
        row = np.asarray(scores[x], dtype=np.float64).copy()
        row[x] = -np.inf
        top = np.argpartition(-row, k - 1)[:k]
        found = np.isin(relevant, top).sum()
        hits.append(found > 0)
        recalls.append(found / min(k, len(relevant)))
    return {f"hit@{k}": float(np.mean(hits)) if hits else 0.0,
            f"recall@{k}": float(np.mean(recalls)) if recalls else 0.0, "queries": len(asked)}


def columns(name: str, k: int = K) -> tuple[str, str]:
    """The hit and recall columns of set `name`."""
    return f"{name} hit@{k}", f"{name} recall@{k}"


def scored(scores: np.ndarray, asked: Mapping[str, list[tuple[int, np.ndarray]]], k: int = K) -> dict:
    """{column: value}: hit@k and recall@k of one score matrix on each set's queries."""
    out = {}
    for name, q in asked.items():
        m = evaluate(scores, q, k)
        hit, recall = columns(name, k)
        out[hit], out[recall] = m[f"hit@{k}"], m[f"recall@{k}"]
    return out


def table(models: Mapping[str, np.ndarray], sets: Mapping[str, list[list[int]]], items: Vocabulary,
          k: int = K) -> pd.DataFrame:
    """One row per model, hit@k and recall@k per set (columns "<set> hit@k", "<set> recall@k")."""
    asked = {name: queries(groups, items) for name, groups in sets.items()}
    return pd.DataFrame([{"model": model, **scored(scores, asked, k)} for model, scores in models.items()]
                        ).set_index("model")
