"""Calibrated lists (after Steck, "Calibrated Recommendations", RecSys 2018): the kinds of film
in a newcomer's feed in the proportions of the kinds they said they liked.

A ranking by score alone lets what everyone likes crowd the rest out: someone who loved five
film noirs got a feed of the mysteries and thrillers everyone rates around them. After the
best-scored few (`lead`), the list is picked greedily from the best-scored candidates, each
pick maximising

    (sum of the picked films' scores) - weight * KL(p || q~)

where p is the genre distribution of the films the person liked (each film shared equally
among its genres; `target` keeps the genres they liked more than everyone does, each weighed by
that lift), q that of the list so far, and q~ = (1 - alpha) q + alpha p (so that a genre the
list lacks costs a lot but not infinitely). Scores are rescaled to 0..1 over the candidates
first; Steck's lambda is weight / (1 + weight). Each pick depends only on the picks before it,
so the first k of a longer list are the list of k: pages of a feed agree."""
from __future__ import annotations

import numpy as np

ALPHA = 0.01


def target(genre_shares: np.ndarray, everyone: np.ndarray | None = None) -> np.ndarray | None:
    """p, the sum of the liked films' genre rows (each row sums to 1), normalised; None with
    none. With `everyone` (each genre's share of all ratings, a film counting for each of its
    genres), each genre weighed by its lift among the liked films (the log of the share of
    them having it over its share among everyone's), and only genres with a positive one: a
    horror fan's Alien and Jaws are action films too, but action is not what they said. And
    weighed by the square of that share: the kind every liked film has is the statement, not a
    rarer kind most of them have (the five most-rated romances are three Star Wars films, The
    English Patient and Jerry Maguire: four are war films, and war is rarer, but all five are
    romances). Set on what the one-genre fans see (tests/test_personas_ml100k.py)."""
    rows = np.asarray(genre_shares, dtype=np.float64)
    if not len(rows) or rows.sum() <= 0:
        return None
    p = rows.sum(axis=0)
    if everyone is not None:
        having = (rows > 0).mean(axis=0)
        lift = np.log(np.maximum(having, 1e-12) / np.asarray(everyone))
        p = p * np.clip(lift, 0.0, None) * having ** 2
        if p.sum() <= 0:
            return None
    return p / p.sum()


def focus(statements) -> float:
    """0..1: the largest share of one statement's liked films (genre rows, one array per
    statement: the likes, or a run of them and the likes before it) having one genre. Five
    dramas liked are a statement of a kind (1.0) though dramas are common; three random films
    of five that happen to share a genre are less of one (0.6)."""
    shares = [float((np.asarray(g) > 0).mean(axis=0).max()) for g in statements if len(g)]
    return max(shares, default=0.0)


def mixed(weighted_targets) -> np.ndarray | None:
    """The weighted mean of (target, weight) pairs whose target is not None (None when none
    is): statements of a kind (a run of likes, the likes before it), each with its say."""
    given = [(t, w) for t, w in weighted_targets if t is not None and w > 0]
    if not given:
        return None
    return sum(w * t for t, w in given) / sum(w for _, w in given)


def rerank(scores: np.ndarray, genre_shares: np.ndarray, p: np.ndarray, k: int, weight: float,
           lead: int = 0) -> np.ndarray:
    """Positions in the candidates (given best first by `scores`, with their genre rows) of the
    calibrated list of k, in the order picked: the first `lead` as they are. weight 0 keeps
    the scores' order."""
    n = len(scores)
    k = min(k, n)
    if weight <= 0 or n == 0:
        return np.arange(k)
    s = np.asarray(scores, dtype=np.float64)
    spread = s.max() - s.min()
    s = (s - s.min()) / spread if spread > 0 else np.zeros(n)
    g = np.asarray(genre_shares, dtype=np.float64)
    wanted = p > 0
    g, p = g[:, wanted], p[wanted]  # genres the person did not like add nothing to KL(p || q)
    log_p = np.log(p)
    picked = np.empty(k, dtype=np.int64)
    open_ = np.ones(n, dtype=bool)
    mass = np.zeros(len(p))
    for step in range(k):
        if step < lead:  # the best-scored lead as they are
            picked[step] = step
            open_[step] = False
            mass += g[step]
            continue
        q = (1 - ALPHA) * (mass + g) / (step + 1) + ALPHA * p  # the list's q~ with each candidate added
        kl = (p * (log_p - np.log(q))).sum(axis=1)
        gain = np.where(open_, s - weight * kl, -np.inf)
        best = int(np.argmax(gain))  # ties: the better-scored candidate
        picked[step] = best
        open_[best] = False
        mass += g[best]
    return picked
