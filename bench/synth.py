"""A seeded synthetic MovieLens release at any scale, for load tests: ratings.csv and movies.csv in
the ml-25m layout. --scale 1.0 is ML-25M's size (25,000,095 ratings, 162,541 users, 62,423 movies).

It has the structure the models feed on, so a benchmark exercises them as real data would:
log-normal movie popularity and user activity (every user rates at least 20 movies, as in
MovieLens), users drawn from genre-taste archetypes (co-ratings cluster by genre, and stars are
higher where a user's taste matches the movie's genres), half-star ratings for most users,
timestamps in sittings (many ratings seconds apart, sittings days apart), titles with years and
MovieLens's trailing articles ("Silent River, The (1999)"). Vectorised numpy; ratings are
written in chunks with pyarrow.

    .venv/bin/python -m bench.synth --scale 0.1 --out data/synth-0.1
"""
from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

log = logging.getLogger(__name__)

ML25M = {"ratings": 25_000_095, "users": 162_541, "movies": 62_423}
MIN_USER_RATINGS = 20
FIRST_TS, LAST_TS = 789_652_009, 1_574_327_703  # ML-25M's first and last rating
ARCHETYPES = 300
GENRES = {  # ML-25M's genres and roughly how common each is
    "Drama": 0.41, "Comedy": 0.27, "Thriller": 0.14, "Romance": 0.12, "Action": 0.12,
    "Horror": 0.09, "Documentary": 0.09, "Crime": 0.09, "Adventure": 0.07, "Sci-Fi": 0.06,
    "Children": 0.04, "Animation": 0.04, "Mystery": 0.05, "Fantasy": 0.04, "War": 0.03,
    "Western": 0.02, "Musical": 0.02, "Film-Noir": 0.005, "IMAX": 0.003,
}
ADJECTIVES = ("Silent", "Last", "Dark", "Lost", "Golden", "Broken", "Hidden", "Wild", "Crimson",
              "Endless", "Frozen", "Savage", "Secret", "Bitter", "Little", "Electric", "Burning",
              "Quiet", "Midnight", "Distant", "Hollow", "Iron", "Velvet", "Final", "Forgotten")
NOUNS = ("River", "Kingdom", "Night", "Road", "City", "Heart", "Garden", "Storm", "Mirror", "Summer",
         "Empire", "Island", "Promise", "Shadow", "Harbor", "Winter", "Machine", "Sky", "Letter",
         "Frontier", "Station", "Legacy", "Season", "Horizon", "Witness", "Circus", "Engine")
SUBJECTS = ("Detective", "Stranger", "Dancer", "Soldier", "Pilot", "Queen", "Thief", "Doctor",
            "Teacher", "Sheriff", "Wolf", "Robot", "Ghost", "Painter", "Sailor", "Prince", "Witch")
ARTICLES = ("The", "A", "An")


def sizes(scale: float) -> dict[str, int]:
    """ML-25M's counts times `scale` (at least enough for every user's 20 ratings)."""
    out = {k: max(1, round(v * scale)) for k, v in ML25M.items()}
    out["movies"] = max(out["movies"], 2 * MIN_USER_RATINGS)
    cap = max(MIN_USER_RATINGS, out["movies"] // 2)  # tiny scales: no user can rate more than half
    out["ratings"] = min(max(out["ratings"], MIN_USER_RATINGS * out["users"]), int(out["users"] * cap * 0.6))
    return out


# -- movies -------------------------------------------------------------------------------------

def movie_genres(rng: np.random.Generator, n: int) -> np.ndarray:
    """(n, genres) 0/1: one to three genres each by frequency (Gumbel top-k), 1% with none."""
    p = np.array(list(GENRES.values()))
    keys = np.log(p)[None, :] + rng.gumbel(size=(n, len(p)))
    order = np.argsort(-keys, axis=1)
    count = rng.choice([1, 2, 3], size=n, p=[0.4, 0.35, 0.25])
    count[rng.random(n) < 0.01] = 0
    g = np.zeros((n, len(p)), dtype=np.uint8)
    for j in range(3):
        take = count > j
        g[np.flatnonzero(take), order[take, j]] = 1
    return g


def movie_titles(rng: np.random.Generator, n: int, years: np.ndarray) -> list[str]:
    """ "Adjective Noun", "The Noun of the Subject" ..., some with MovieLens's trailing article
    ("Lost Kingdom, The (1994)") and some sequels ("Silent River 2")."""
    adj = rng.integers(len(ADJECTIVES), size=n)
    noun = rng.integers(len(NOUNS), size=n)
    subj = rng.integers(len(SUBJECTS), size=n)
    form = rng.integers(4, size=n)
    article = rng.choice(len(ARTICLES), size=n, p=[0.8, 0.15, 0.05])
    sequel = rng.random(n) < 0.05
    titles = []
    for i in range(n):
        a, no, s = ADJECTIVES[adj[i]], NOUNS[noun[i]], SUBJECTS[subj[i]]
        body = (f"{a} {no}", f"{no} of the {s}", f"{a} {s}", f"{s} and the {no}")[form[i]]
        if sequel[i]:
            body += f" {2 + i % 3}"
        if form[i] in (0, 2) and article[i] != 1 and i % 3 == 0:  # "Lost Kingdom, The"
            art = ARTICLES[article[i]] if not (article[i] == 2 and a[0] not in "AEIOU") else "A"
            body = f"{body}, {art}"
        titles.append(f"{body} ({years[i]})")
    return titles


def make_movies(rng: np.random.Generator, n: int):
    """movies frame in ML's layout, its genre matrix and each movie's popularity weight."""
    years = np.clip(2019 - np.floor(rng.exponential(14.0, size=n)).astype(int), 1902, 2019)
    genres = movie_genres(rng, n)
    names = np.array(list(GENRES))
    text = ["|".join(names[row.astype(bool)]) or "(no genres listed)" for row in genres]
    ids = np.sort(rng.choice(np.arange(1, int(n * 3.3) + 2), size=n, replace=False))  # gaps, as in ML
    movies = pd.DataFrame({"movieId": ids, "title": movie_titles(rng, n, years), "genres": text})
    popularity = np.exp(rng.normal(0.0, 2.0, size=n)) * (1 + 0.02 * (years - 1900))
    return movies, genres, popularity


# -- users and ratings --------------------------------------------------------------------------

def user_activity(rng: np.random.Generator, n_users: int, total: int, n_movies: int) -> np.ndarray:
    """Ratings per user: 20 + log-normal excess, scaled to sum to `total` exactly."""
    cap = max(MIN_USER_RATINGS, n_movies // 2)
    excess = np.exp(rng.normal(3.6, 1.35, size=n_users))
    excess *= (total - MIN_USER_RATINGS * n_users) / excess.sum()
    n = np.minimum(MIN_USER_RATINGS + np.floor(excess).astype(np.int64), cap)
    short = total - int(n.sum())
    while short > 0:  # hand the rounding remainder to users with room
        room = np.flatnonzero(n < cap)
        add = rng.choice(room, size=min(short, len(room)), replace=False)
        n[add] += 1
        short -= len(add)
    return n


def archetype_tastes(rng: np.random.Generator, n_genres: int) -> np.ndarray:
    """(archetypes, genres) preferences: each archetype loves a few genres."""
    base = np.array(list(GENRES.values()))
    return rng.dirichlet(np.maximum(base * 2.0, 0.05), size=ARCHETYPES)


def sample_ratings(rng: np.random.Generator, n_user_ratings: np.ndarray, archetype: np.ndarray,
                   movie_weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (user row, movie row) pairs, n_user_ratings[u] per user, drawn from each user's
    archetype distribution over movies (popularity x genre taste)."""
    n_users, n_movies = len(n_user_ratings), movie_weight.shape[1]
    have_u, have_m = np.zeros(0, np.int64), np.zeros(0, np.int64)
    need = n_user_ratings.copy()
    for attempt in range(8):
        users = np.flatnonzero(need > 0)
        if len(users) == 0:
            break
        draws = np.ceil(need[users] * (1.5 + attempt)).astype(np.int64) + 2
        u = np.repeat(users, draws)
        mix = min(0.15 * attempt, 0.6)  # later passes lean on the uniform tail for heavy raters
        m = np.empty(len(u), np.int64)
        by_arch = np.argsort(archetype[u], kind="stable")
        bounds = np.concatenate([[0], np.cumsum(np.bincount(archetype[u], minlength=ARCHETYPES))])
        for a in range(ARCHETYPES):
            sel = by_arch[bounds[a]:bounds[a + 1]]
            if len(sel):
                cdf = np.cumsum(movie_weight[a])
                m[sel] = np.searchsorted(cdf, rng.random(len(sel)) * cdf[-1])
        if mix:
            uni = rng.random(len(u)) < mix
            m[uni] = rng.integers(n_movies, size=int(uni.sum()))
        m = np.minimum(m, n_movies - 1)
        keys = u * n_movies + m
        _, first = np.unique(keys, return_index=True)
        first.sort()  # keep draw order (random) among each user's distinct movies
        u, m, keys = u[first], m[first], keys[first]
        have = np.sort(have_u * n_movies + have_m)  # sorted + searchsorted: np.isin hashes, slower here
        at = np.minimum(np.searchsorted(have, keys), max(len(have) - 1, 0))
        fresh = np.ones(len(keys), bool) if len(have) == 0 else have[at] != keys
        u, m = u[fresh], m[fresh]
        start = np.searchsorted(u, users)  # u is grouped by user (np.repeat order kept)
        rank = np.arange(len(u)) - np.repeat(start, np.bincount(u, minlength=n_users)[users])
        keep = rank < need[u]
        u, m = u[keep], m[keep]
        need -= np.bincount(u, minlength=n_users)
        have_u, have_m = np.concatenate([have_u, u]), np.concatenate([have_m, m])
        log.info("sampling pass %d: %d pairs, %d still to draw", attempt + 1, len(have_u), int(need.sum()))
    return have_u, have_m


def session_timestamps(rng: np.random.Generator, user_rows: np.ndarray, n_users: int) -> np.ndarray:
    """Per user, ratings in sittings: seconds apart within one, days to months between them."""
    order = np.argsort(user_rows, kind="stable")
    n = len(user_rows)
    new_sitting = rng.random(n) < 0.08
    gaps = np.where(new_sitting, rng.exponential(20 * 86400, n), np.floor(rng.exponential(25, n)))
    counts = np.bincount(user_rows, minlength=n_users)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    csum = np.cumsum(gaps)
    offset = csum - np.repeat(csum[starts], counts)  # each user's first rating at offset 0
    span = np.maximum(offset[starts + counts - 1], 1.0)
    room = float(LAST_TS - FIRST_TS)
    squeeze = np.minimum(1.0, room / span)
    begin = FIRST_TS + rng.random(n_users) * np.maximum(room - span * squeeze, 0)
    ts_sorted = np.repeat(begin, counts) + offset * np.repeat(squeeze, counts)
    out = np.empty(n, np.int64)
    out[order] = ts_sorted.astype(np.int64)
    return out


def star_ratings(rng, u: np.ndarray, m: np.ndarray, archetype: np.ndarray, tastes: np.ndarray,
                 genres: np.ndarray, n_users: int) -> np.ndarray:
    """Stars: user bias + movie quality + how well the movie's genres fit the user's taste."""
    n_movies = genres.shape[0]
    user_bias = rng.normal(3.2, 0.45, n_users)
    quality = rng.normal(0.0, 0.5, n_movies)
    half = rng.random(n_users) < 0.6
    ng = np.maximum(genres.sum(axis=1), 1)
    fit = np.empty(len(u), np.float32)
    step = 2_000_000
    for s in range(0, len(u), step):  # taste . genres / n_genres, in chunks
        uu, mm = u[s:s + step], m[s:s + step]
        fit[s:s + step] = np.einsum("ij,ij->i", tastes[archetype[uu]], genres[mm]) / ng[mm]
    x = user_bias[u] + quality[m] + 4.0 * (fit - 0.08) + rng.normal(0, 0.7, len(u))
    stars = np.where(half[u], np.round(x * 2) / 2, np.round(x))
    return np.clip(stars, np.where(half[u], 0.5, 1.0), 5.0)


# -- writing ------------------------------------------------------------------------------------

RATING_TEXT = pa.array([f"{v / 2:.1f}" for v in range(11)])


def write_ratings(path: Path, user_ids, movie_ids, stars, timestamps, chunk: int = 2_000_000) -> None:
    """ratings.csv sorted by user then movie, as MovieLens ships it; "4.0" style stars."""
    with open(path, "wb") as out:
        out.write(b"userId,movieId,rating,timestamp\n")
        options = pacsv.WriteOptions(include_header=False, quoting_style="none")
        for s in range(0, len(user_ids), chunk):
            sl = slice(s, s + chunk)
            star = pa.DictionaryArray.from_arrays(pa.array((stars[sl] * 2).astype(np.int8)), RATING_TEXT)
            table = pa.table({"userId": user_ids[sl], "movieId": movie_ids[sl],
                              "rating": star.cast(pa.string()), "timestamp": timestamps[sl]})
            pacsv.write_csv(table, out, write_options=options)


def generate(scale: float, out: Path, seed: int = 25) -> dict:
    """Write out/movies.csv and out/ratings.csv; return the counts."""
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    n = sizes(scale)
    out.mkdir(parents=True, exist_ok=True)
    movies, genres, popularity = make_movies(rng, n["movies"])
    movies.to_csv(out / "movies.csv", index=False)
    tastes = archetype_tastes(rng, genres.shape[1])
    # each archetype's distribution over movies: popularity x (taste . genres + a floor)
    affinity = tastes @ genres.T.astype(np.float64) + 0.02
    movie_weight = popularity[None, :] * affinity ** 2
    n_user_ratings = user_activity(rng, n["users"], n["ratings"], n["movies"])
    archetype = rng.integers(ARCHETYPES, size=n["users"])
    u, m = sample_ratings(rng, n_user_ratings, archetype, movie_weight)
    del movie_weight
    log.info("%d ratings sampled in %.1fs", len(u), time.perf_counter() - t0)
    stars = star_ratings(rng, u, m, archetype, tastes, genres, n["users"])
    ts = session_timestamps(rng, u, n["users"])
    order = np.lexsort((m, u))
    movie_ids = movies["movieId"].to_numpy(np.int64)
    write_ratings(out / "ratings.csv", (u[order] + 1).astype(np.int64), movie_ids[m[order]],
                  stars[order], ts[order])
    seconds = round(time.perf_counter() - t0, 1)
    log.info("wrote %s in %.1fs", out, seconds)
    return {"ratings": int(len(u)), "users": int(n["users"]), "movies": int(n["movies"]), "seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=0.01, help="1.0 = ML-25M's size")
    parser.add_argument("--out", type=Path, required=True, help="folder for ratings.csv and movies.csv")
    parser.add_argument("--seed", type=int, default=25)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    counts = generate(args.scale, args.out, args.seed)
    print(f"{counts['ratings']:,} ratings, {counts['users']:,} users, {counts['movies']:,} movies "
          f"in {counts['seconds']}s -> {args.out}")


if __name__ == "__main__":
    main()
