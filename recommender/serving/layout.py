"""The files of an index version, named once for the indexer that writes them
(indexer/build.py, indexer/stages.py, indexer/versions.py) and the server that reads them
(recommender/index.py).

<root>/CURRENT                 the live version's folder name
<root>/<version>/manifest.json what was built, with every file's size and sha256
<root>/<version>/...           the files below; the model in its own folder
"""
from __future__ import annotations

CURRENT = "CURRENT"
MANIFEST = "manifest.json"
MODEL_DIR = "model"
MOVIE_IDS = "movie_ids.npy"  # item row -> MovieLens id
CONTENT_VECTORS = "content_vectors.npy"  # item rows x text dims, unit rows
CONTENT_INDEX = "content.faiss"  # text vectors keyed by movie id
COLLAB_INDEX = "collab_items.faiss"  # collaborative item vectors keyed by movie id
USER_IDS = "user_ids.npy"
GENRES = "genres.json"  # genre names, in the genre matrix's column order
GENRE_MATRIX = "genre_matrix.npy"  # item rows x genres, 0/1
GENRE_VECTORS = "genre_vectors.npy"  # each genre's description, embedded
RATING_DIR = "rating"  # the rating-prediction model (predicted stars), in its own folder


def users_index(space: str) -> str:
    """User profiles in `space` ("collab" or "content"), keyed by user id."""
    return f"users_{space}.faiss"
