""""Movies like X": which films are like X, from five signals, blended by how much each knows.

- co-ratings: people who rated X rated Y more often than Y's popularity alone predicts:
  co(X, Y) / (n_X^a n_Y^(1-a) + shrink), an asymmetric cosine (a = 1/2: the cosine; a = 1:
  P(Y | X), which lists what everyone rated: MovieLens-100K's ratings were given within seven
  months, so its hits co-occur with everything; a < 1/2 leans towards the films X's crowd
  rated more than everyone did; the tuning chose the cosine once it read judgment sets, the
  protocol alone 0.7), each person's co-ratings weighed by how few films they rated
  (`corating_similarity`), plus the taste similarity of the stars, the rating kNN's shrunk
  Pearson correlation of baseline residuals (do those who rate X above what they and X usually
  get rate Y above it too? a director's admirers do). The dense model keeps both items x items; the
  large-catalogue one reads the cosine of its ALS item factors instead;
- series: titles that share their rare words once the year, the article and sequel marks
  ("II", "2", "Part", what follows ":") are set aside: "Alien" / "Aliens" / "Alien 3",
  "Die Hard" / "Die Hard 2" / "Die Hard: With a Vengeance", weighed by each word's rarity (IDF),
  so "Love" or "Man" alone says little and "Godfather" a lot;
- text: cosine of the MiniLM embeddings of title, year and genres;
- genres: cosine of the genre sets, each genre weighed by its rarity (sharing "Western" says
  more than sharing "Drama"; a small weight on ML-100K, the kind places below doing most of
  its work);
- kind: the films having X's rarest genre (westerns for Dances with Wolves, horror for Scream)
  are sure of sim_kind_slots places among the first sim_kind_rank: the protocol, from ratings
  given within seven months, rewards the season's hits that X's raters also rated (Liar Liar
  and The Rock under Scream), and a list of them is not "movies like X".

Each signal's row (X against every film) is standardised (mean 0, sd 1 over the catalogue,
X left out), then

    score = z(co-ratings) + w_text(n) z(text) + w_genre z(genres) + w_series series
            (+ the kind boost on the films of X's kind),
    w_text(n) = text_min + (text_max - text_min) h / (n + h), n = X's ratings:

a film few people rated leans on its text, a well-known one on its co-ratings, and a shared
title always counts. Catalogue artefacts (`artefacts`) never lead a list. The weights are
tuned on a validation split of the item-to-item protocol (recommender.evaluation.similar_tuning),
never on its test part. Arrays in, arrays out; hybrid_base calls it for both model families.
"""
from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from . import preferences
from .base import binary
from .rating.neighbours import KNNBaseline, baseline_residuals, shrunk_pearson

# chosen by recommender.evaluation.similar_tuning on the validation split of ML-100K's
# item-to-item protocol, reading the repo's development judgment set (`flask eval --similar
# --tune-judgments tests/fixtures/similar_judgments.json` prints the run); sim_series and
# sim_kind_slots are set, not tuned
DEFAULTS = {"sim_alpha": 0.5, "sim_shrink": 5.0, "sim_user_weight": 0.5, "sim_taste": 0.15, "sim_genre": 0.1,
            "sim_text_min": 0.2, "sim_text_max": 1.0, "sim_text_half": 20.0, "sim_series": 3.0,
            "sim_kind_slots": 4, "sim_kind_rank": 10}

# -- titles ------------------------------------------------------------------------------------

_YEAR = re.compile(r"\s*\(\d{4}(?:[-–]\d{0,4})?\)\s*$")
_ARTICLE_AT_END = re.compile(r",\s*(the|a|an|les|la|le|l'|il|el|das|der|die)$", re.IGNORECASE)
_ROMAN = {"ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x"}
SEQUEL_WORDS = _ROMAN | {"part", "episode", "chapter", "returns", "return", "again", "revenge"}
TITLE_STOPWORDS = {"the", "a", "an", "of", "and", "in", "on", "to", "for", "with", "at", "by", "from", "is",
                   "la", "le", "les", "el", "de", "der", "das", "il", "du", "des", "un", "une",
                   "my", "me", "you", "your", "i", "it", "its", "all", "no", "not", "be", "or", "as"}
MAX_TITLE_DF = 0.01  # a word in more than 1% of titles (at least 10, at most 50) names no series
UNSERIAL_MAX = 0.7  # under SERIES_CUT: all rare words shared, but in another order, are no series
MAX_SERIES = 50  # ... nor does a base title shared by more films (pairs grow as its square)
TASTE_SHRINK = KNNBaseline.defaults["shrinkage"]


def _main_title(title: str) -> str:
    """A published title without its year, an alternative title in parentheses ("(Cité des
    enfants perdus, La)") and its trailing article: "City of Lost Children"."""
    t = _YEAR.sub("", title.strip())
    t = re.sub(r"\s*\([^()]*\)\s*$", "", t)
    return _ARTICLE_AT_END.sub("", t.strip())


def base_title(title: str) -> str:
    """A title without its year, trailing article, alternative titles in parentheses, what follows
    ':' and sequel numbers: "Godfather: Part II, The (1974)" -> "godfather",
    "Die Hard 2 (1990)" -> "die hard", "Alien 3 (1992)" -> "alien"."""
    t = _main_title(title).split(":")[0]
    words = re.findall(r"[a-z0-9']+", t.lower())
    while words and (words[-1] in _ROMAN or words[-1].isdigit() or words[-1] == "part"):
        words.pop()
    return " ".join(w for w in words if w not in TITLE_STOPWORDS)


def title_words(title: str) -> set[str]:
    """A title's significant words, trailing s dropped ("Aliens" -> "alien"), sequel marks,
    numbers and stop words left out."""
    t = _YEAR.sub("", title.strip())
    words = re.findall(r"[a-z0-9']+", t.lower().replace("'s", ""))
    return {w.rstrip("s") if len(w) > 3 else w for w in words
            if w not in TITLE_STOPWORDS and w not in SEQUEL_WORDS and not w.isdigit() and len(w) > 1}


def reading_words(title: str) -> tuple[str, ...]:
    """A title's words in the order a person reads them, the year, an alternative title in
    parentheses and an article before or after left out, "&" and "+" read as "and", each word's
    trailing s dropped ("Aliens" reads as "Alien"): "Escape from L.A." starts with "escape",
    "No Escape" with "no"."""
    t = re.sub(r"\s*[&+]\s*", " and ", _main_title(title).lower().replace("'s", ""))
    words = [w.rstrip("s") if len(w) > 3 else w for w in re.findall(r"[a-z0-9']+", t)]
    return tuple(words[1:] if words and words[0] in ("the", "a", "an") else words)


def _ends_alike(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Whether the shorter title's words begin or end the longer, as a series' or an adaptation's
    titles do ("Batman Returns", "The Lost World: Jurassic Park", "William Shakespeare's Romeo +
    Juliet"); not "Walking Dead" and "Dead Man Walking", nor "No Escape" and "Escape from L.A."."""
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    return bool(short) and (long_[:len(short)] == short or long_[len(long_) - len(short):] == short)


def series_matrix(titles: Sequence[str]) -> sp.csr_matrix:
    """items x items, in [0, 1]: how much two titles share their rare words (the IDF weight of
    the shared `title_words` over the larger title's, squared: "To Die For" is not "Die Hard";
    under SERIES_CUT unless one title begins or ends the other, `_ends_alike`: "No Escape" is
    not the series of "Escape from L.A."), and 1 for the same `base_title`. Sparse: a word in more than MAX_TITLE_DF of
    the titles (at least 10, at most MAX_SERIES) links nothing, nor a base title more than
    MAX_SERIES films share."""
    n = len(titles)
    words = [title_words(t or "") for t in titles]
    bases = [base_title(t or "") for t in titles]
    vocab: dict[str, int] = {}
    rows, cols = [], []
    for i, ws in enumerate(words):
        for w in ws:
            rows.append(i), cols.append(vocab.setdefault(w, len(vocab)))
    if not vocab:
        return sp.csr_matrix((n, n), dtype=np.float32)
    incidence = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(n, len(vocab)))
    df = np.asarray(incidence.sum(axis=0)).ravel()
    cap = min(max(10, int(MAX_TITLE_DF * n)), MAX_SERIES)
    idf = np.where(df <= cap, np.log(n / np.maximum(df, 1)), 0.0).astype(np.float32)
    weighted = (incidence @ sp.diags(idf)).tocsr()
    weighted.eliminate_zeros()
    weight = np.asarray(weighted.sum(axis=1)).ravel()
    shared = (weighted @ incidence.T).tocoo()  # sum of the idf of the words both titles have
    larger = np.maximum(np.maximum(weight[shared.row], weight[shared.col]), 1e-9)
    value = np.minimum(shared.data / larger, 1.0) ** 2  # a partial overlap counts little
    read = [reading_words(t or "") for t in titles]
    alike = np.fromiter((v < SERIES_CUT or _ends_alike(read[i], read[j])
                         for i, j, v in zip(shared.row, shared.col, value)), dtype=bool, count=len(value))
    value = np.where(alike, value, np.minimum(value, UNSERIAL_MAX))
    base_ids: dict[str, int] = {}
    base = np.array([base_ids.setdefault(b, len(base_ids)) if b else -1 for b in bases])
    titled = np.flatnonzero(base >= 0)
    same_base = sp.csr_matrix((np.ones(len(titled), np.float32), (titled, base[titled])),
                              shape=(n, max(len(base_ids), 1)))
    size = np.asarray(same_base.sum(axis=0)).ravel()
    same_base = (same_base @ sp.diags((size <= MAX_SERIES).astype(np.float32))).tocsr()
    same_base.eliminate_zeros()
    pairs = (same_base @ same_base.T).tocoo()  # the same base title, whatever words it is made of
    rows = np.concatenate([shared.row, pairs.row])
    cols = np.concatenate([shared.col, pairs.col])
    value = np.concatenate([value, np.ones(len(pairs.row))]).astype(np.float32)
    keep = (rows != cols) & (value > 0)
    m = sp.coo_matrix((value[keep], (rows[keep], cols[keep])), shape=(n, n)).tocsr()
    m.sum_duplicates()
    m.data = np.minimum(m.data, 1.0)  # a pair found both ways counts once
    m.sort_indices()
    return m


# -- co-ratings --------------------------------------------------------------------------------

def corating_similarity(matrix, alpha: float = DEFAULTS["sim_alpha"], shrink: float = DEFAULTS["sim_shrink"],
                         rows: np.ndarray | None = None, user_weight: float = 0.0) -> np.ndarray:
    """Dense (len(rows) or items) x items asymmetric cosine of the co-ratings:
    co(X, Y) / (n_X^alpha n_Y^(1-alpha) + shrink), n = ratings. alpha 1/2 is the cosine, 1 the
    conditional probability P(Y | X), which favours what everyone rated; below 1/2 rare films
    win on a handful of co-ratings. `user_weight` b: a person who rated m films adds
    1 / m^b to each pair they rated (scaled to a mean weight of 1 over people), since someone
    who rated everything of a season links everything to everything, and someone who rated
    twenty films chose them (the inverse user frequency of Breese et al. 1998)."""
    x = binary(sp.csr_matrix(matrix))
    n = np.asarray(x.sum(axis=0)).ravel().astype(np.float64)
    rows = np.arange(x.shape[1]) if rows is None else np.asarray(rows, dtype=np.int64)
    weighted = x
    if user_weight:
        per_user = 1.0 / np.power(np.maximum(np.diff(x.indptr), 1).astype(np.float64), user_weight)
        weighted = (sp.diags((per_user / per_user.mean()).astype(np.float32)) @ x).tocsr()
    co = (weighted.tocsc()[:, rows].T @ x).toarray().astype(np.float64)
    denom = np.power(np.maximum(n[rows], 1e-9), alpha)[:, None] * np.power(np.maximum(n, 1e-9), 1 - alpha)[None, :]
    sim = co / (denom + shrink)
    sim[np.arange(len(rows)), rows] = 0.0
    return sim.astype(np.float32)


def taste_similarity(matrix, shrink: float = TASTE_SHRINK) -> np.ndarray:
    """items x items shrunk Pearson correlation of the stars' baseline residuals (what is left
    once the mean, the person's bias and the film's are taken out), every pair kept: the rating
    kNN's similarity (rating.neighbours). Do those who rate X above what they and X usually get
    rate Y above it too? Two films rated in the same season by the same crowd score nothing for
    that alone; a director's admirers, rating his films above their habit, link them."""
    m = sp.csr_matrix(matrix, dtype=np.float64)
    m.eliminate_zeros()
    if m.nnz == 0:
        return np.zeros((m.shape[1], m.shape[1]), dtype=np.float32)
    defaults = KNNBaseline.defaults
    _, _, residuals = baseline_residuals(m, float(m.data.mean()), defaults["reg_user"], defaults["reg_item"],
                                         defaults["epochs"])
    return shrunk_pearson(residuals, shrink, m.shape[1]).toarray().astype(np.float32)


def row_standardised(m: np.ndarray) -> np.ndarray:
    """Each row of a square matrix minus its mean over its standard deviation, the diagonal
    left out of both and set to 0."""
    m = np.asarray(m, dtype=np.float64).copy()
    np.fill_diagonal(m, np.nan)
    out = (m - np.nanmean(m, axis=1, keepdims=True)) / np.maximum(np.nanstd(m, axis=1, keepdims=True), 1e-9)
    np.fill_diagonal(out, 0.0)
    return out.astype(np.float32)


def collaborative_similarity(matrix, params: dict) -> np.ndarray:
    """The dense model's co-rating side, items x items: z(asymmetric co-rating cosine) +
    sim_taste z(taste similarity), each row standardised."""
    sim = row_standardised(corating_similarity(matrix, float(params["sim_alpha"]), float(params["sim_shrink"]),
                                               user_weight=float(params["sim_user_weight"])))
    if params["sim_taste"]:
        sim += np.float32(params["sim_taste"]) * row_standardised(taste_similarity(matrix))
    return sim


# -- genres ------------------------------------------------------------------------------------

NO_GENRE = ("unknown", "(no genres listed)")
NOT_A_KIND = (*NO_GENRE, "IMAX")  # a format, not a kind of film


def genre_sets(genre_lists) -> np.ndarray:
    """items x genres 0/1, columns by name; "unknown", "(no genres listed)" and "IMAX" are no
    genre."""
    lists = [[g for g in (gs or []) if g not in NOT_A_KIND] for gs in genre_lists]
    names = sorted({g for gs in lists for g in gs})
    column = {g: j for j, g in enumerate(names)}
    out = np.zeros((len(lists), max(len(names), 1)), dtype=np.float32)
    for row, gs in enumerate(lists):
        out[row, [column[g] for g in gs]] = 1.0
    return out


def genre_vectors(genre_lists) -> np.ndarray:
    """Unit rows of each film's genres, each weighed by its rarity (IDF, log(films / films of
    the genre)): the cosine of two rows is how alike their genres are, sharing "Western" counting
    far more than sharing "Drama". A film with none: a zero row."""
    sets = genre_sets(genre_lists)
    df = sets.sum(axis=0)
    out = sets * np.log(len(sets) / np.maximum(df, 1)).astype(np.float32)[None, :]
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)


# -- the blend ---------------------------------------------------------------------------------

def standardise(values: np.ndarray, mean: float | None = None, sd: float | None = None) -> np.ndarray:
    """(values - mean) / sd; mean and sd of `values` unless given (a row over the catalogue)."""
    v = np.asarray(values, dtype=np.float32)
    m = float(v.mean()) if mean is None else mean
    s = float(v.std()) if sd is None else sd
    return (v - np.float32(m)) / np.float32(max(s, 1e-9))


def text_weight(n: float, params: dict) -> float:
    """w_text(n): text_max for a film nobody rated, towards text_min for a well-known one."""
    lo, hi, h = float(params["sim_text_min"]), float(params["sim_text_max"]), float(params["sim_text_half"])
    return lo + (hi - lo) * h / (max(n, 0.0) + h)


def blend(collab_z: np.ndarray, text_z: np.ndarray | None, genre_z: np.ndarray | None,
          series: np.ndarray | None, n: float, params: dict, kind: np.ndarray | None = None
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(score, co-rating part, text part, series part, kind part (genres and `kind_boost`),
    lifted: the rows of X's kind that rank where they do only by the boost) of candidate rows,
    from the standardised co-rating, text and genre rows, the series row, X's ratings and which
    rows are of X's kind (`kind_rows`)."""
    c = np.asarray(collab_z, dtype=np.float32)
    t = np.zeros_like(c) if text_z is None else np.float32(text_weight(n, params)) * np.asarray(text_z, np.float32)
    g = np.zeros_like(c)
    if genre_z is not None and params["sim_genre"]:
        g = np.float32(params["sim_genre"]) * np.asarray(genre_z, np.float32)
    s = np.zeros_like(c) if series is None else np.float32(params["sim_series"]) * np.asarray(series, np.float32)
    score = c + t + g + s
    lifted = np.zeros(len(c), dtype=bool)
    if kind is not None:
        boost, to_pass = kind_boost(score, kind, params)
        lifted = kind & (boost > 0) & (score < to_pass)  # behind the film they had to pass, unboosted
        score, g = score + boost, g + boost
    return score, c, t, s, g, lifted


def kind_rows(genres: np.ndarray | None, item_row: int, rows: np.ndarray) -> np.ndarray | None:
    """Which `rows` are of X's kind: they have X's rarest genre (the largest weight of X's
    `genre_vectors` row: Western for Dances with Wolves, Horror for Scream, Animation for Toy
    Story). None without genres or when X has none."""
    if genres is None:
        return None
    own = np.asarray(genres[item_row])
    if not own.any():
        return None
    return np.asarray(genres[rows])[:, int(np.argmax(own))] > 0


def kind_boost(score: np.ndarray, kind: np.ndarray, params: dict) -> tuple[np.ndarray, float]:
    """(what is added to the rows of X's kind, the score they had to pass): the
    sim_kind_slots-th best of them is lifted within the first sim_kind_rank, just ahead of the
    (rank - slots + 1)-th best other film (nothing added when it already is). The season's hits
    that X's raters also rated keep the other places, a film of X's kind is sure of some. The
    same for every row of X's kind, so their order among themselves is the blend's."""
    slots, rank = int(params["sim_kind_slots"]), int(params["sim_kind_rank"])
    out = np.zeros(len(score), dtype=np.float32)
    others = score[~kind]
    ahead = rank - slots + 1  # the other film the slots-th of X's kind must pass
    if slots <= 0 or kind.sum() < slots or len(others) < ahead:
        return out, -np.inf
    to_pass = float(np.partition(others, len(others) - ahead)[len(others) - ahead])
    own = score[kind]
    slot = np.partition(own, len(own) - slots)[len(own) - slots]
    gap = np.float32(to_pass - slot)
    if gap >= 0:
        out[kind] = gap + KIND_TIE
    return out, to_pass


KIND_TIE = np.float32(1e-3)  # the boosted film ranks just above the film it reaches


SERIES_CUT = 0.75  # a series value from here on is the same title, not a shared word or two


SOURCE_KIND = 3  # a film of X's kind: "Also a western, like Dances with Wolves"


def sources(collab: np.ndarray, text: np.ndarray, series: np.ndarray, kind: np.ndarray | None = None,
            lifted: np.ndarray | None = None) -> np.ndarray:
    """Which signal put each row there: 2 the same series (`series` >= SERIES_CUT), 3 X's kind
    (lifted by the kind boost, or its part, the genres, positive and above the co-ratings' and
    the text's), 1 text (its part positive and above the co-ratings'), else 0 co-ratings."""
    collab, text = np.asarray(collab), np.asarray(text)
    out = np.where((text > collab) & (text > 0), 1, 0)
    if kind is not None:
        kind = np.asarray(kind)
        out = np.where((kind > collab) & (kind > text) & (kind > 0), SOURCE_KIND, out)
    if lifted is not None:
        out = np.where(np.asarray(lifted), SOURCE_KIND, out)
    return np.where(np.asarray(series) >= SERIES_CUT, 2, out).astype(np.int64)


def artefacts(titles: Sequence[str], genre_lists, counts: np.ndarray) -> np.ndarray:
    """Catalogue artefacts, which never lead a list: a title that is "unknown" or empty, and a
    film with no genre (or only "unknown") that at most one person rated."""
    counts = np.asarray(counts)
    out = np.zeros(len(titles), dtype=bool)
    for i, title in enumerate(titles):
        bare = _YEAR.sub("", str(title or "")).strip().lower()
        genres = [] if genre_lists is None else [g for g in (genre_lists[i] or [])
                                                 if g not in NO_GENRE]
        out[i] = bare in ("", "unknown") or (genre_lists is not None and not genres and counts[i] <= 1)
    return out


def same_film(titles: Sequence[str], counts: np.ndarray) -> np.ndarray:
    """(items,) int32: for each film, the row that stands for it. ML-100K lists a few films
    twice, under two ids with the same published title ("Chasing Amy (1997)"); the more rated
    copy stands for both (the first on a tie), every other film for itself."""
    counts = np.asarray(counts)
    rows_of: dict[str, list[int]] = {}
    for i, title in enumerate(titles):
        key = " ".join(str(title or "").split()).casefold()
        if key:
            rows_of.setdefault(key, []).append(i)
    stand_in = np.arange(len(titles), dtype=np.int32)
    for rows in rows_of.values():
        if len(rows) > 1:
            stand_in[rows] = rows[int(np.argmax(counts[rows]))]
    return stand_in


def series_row(matrix: sp.csr_matrix | None, item_row: int, rows: np.ndarray) -> np.ndarray | None:
    """Row `item_row` of a series matrix at `rows` (None without one)."""
    if matrix is None:
        return None
    dense = np.zeros(matrix.shape[1], dtype=np.float32)
    a, b = matrix.indptr[item_row], matrix.indptr[item_row + 1]
    dense[matrix.indices[a:b]] = matrix.data[a:b]
    return dense[rows]


EVIDENCE_MAX_ITEMS = 20_000  # beyond, the lists' evidence would cost minutes of a rebuild


def evidence_lists(matrix, lists: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each film X and each row Y of its list (`lists`, -1: none): how many people who loved
    X (LIKED_STARS or more) rated Y, and their mean stars for Y. The reasons cite them: "People
    who loved Heat gave it 4.3★ on average (212 of them)"."""
    m = sp.csr_matrix(matrix, dtype=np.float32)
    csc = m.tocsc()
    counts = np.zeros(lists.shape, dtype=np.int32)
    means = np.zeros(lists.shape, dtype=np.float32)
    for x in range(lists.shape[0]):
        a, b = csc.indptr[x], csc.indptr[x + 1]
        fans = csc.indices[a:b][csc.data[a:b] >= preferences.LIKED_STARS]
        listed = np.flatnonzero(lists[x] >= 0)
        if len(fans) == 0 or len(listed) == 0:
            continue
        sub = m[fans][:, lists[x, listed].astype(np.int64)].tocsc()
        n = np.diff(sub.indptr)
        counts[x, listed] = n
        means[x, listed] = np.asarray(sub.sum(axis=0)).ravel() / np.maximum(n, 1)
    return counts, means


def popularity(matrix) -> np.ndarray:
    """How many people rated each film."""
    return np.asarray(binary(sp.csr_matrix(matrix)).sum(axis=0)).ravel().astype(np.float32)


def row_stats(values: np.ndarray, exclude: int | None = None) -> tuple[float, float]:
    """(mean, sd) of a row over the catalogue, `exclude` (X itself) left out."""
    v = np.asarray(values, dtype=np.float64)
    if exclude is not None and 0 <= exclude < len(v):
        total, squares, n = v.sum() - v[exclude], (v * v).sum() - v[exclude] ** 2, len(v) - 1
    else:
        total, squares, n = v.sum(), (v * v).sum(), len(v)
    mean = total / max(n, 1)
    return float(mean), float(np.sqrt(max(squares / max(n, 1) - mean * mean, 0.0)))


def dense_scores(collab: np.ndarray, text: np.ndarray | None, genres: np.ndarray | None,
                 series: sp.csr_matrix | None, counts: np.ndarray, params: dict) -> np.ndarray:
    """items x items: the blend for every X at once (the protocol's rows; the model computes the
    same per row, `blend`). `collab`: collaborative_similarity; `text`: text cosine; `genres`:
    genre_vectors."""
    score = row_standardised(collab).astype(np.float64)
    if text is not None:
        w = np.array([text_weight(float(n), params) for n in counts])
        score += w[:, None] * row_standardised(text)
    if genres is not None and params["sim_genre"]:
        g = np.asarray(genres, dtype=np.float32)
        score += float(params["sim_genre"]) * row_standardised(g @ g.T)
    if series is not None:
        score += float(params["sim_series"]) * series.toarray()
    score = score.astype(np.float32)
    if genres is not None and int(params["sim_kind_slots"]) > 0:
        others = np.ones(len(score), dtype=bool)
        for x in range(len(score)):
            others[x] = False
            kind = kind_rows(genres, x, np.flatnonzero(others))
            if kind is not None:
                score[x, others] += kind_boost(score[x, others], kind, params)[0]
            others[x] = True
    np.fill_diagonal(score, -np.inf)
    return score
