"""The rating model in an index version: fitted at rebuild, checksummed, loaded with it."""
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from indexer.versions import current_version
from recommender.models.rating import RatingBlend
from recommender.serving.index import VersionError, load_index
from recommender.serving.layout import MANIFEST, RATING_DIR


def live_folder(app) -> Path:
    root = Path(app.config["INDEX_ROOT"])
    return root / current_version(root)


def test_rebuild_fits_and_ships_the_rating_model(indexed_app):
    folder = live_folder(indexed_app)
    manifest = json.loads((folder / MANIFEST).read_text())
    assert manifest["rating"]["fitted"] and set(manifest["rating"]["params"]) >= {"mf", "knn", "weights"}
    assert f"{RATING_DIR}/rating.json" in manifest["files"] and f"{RATING_DIR}/mf/item_factors.npy" in manifest["files"]
    index = load_index(folder)
    assert isinstance(index.rating_model, RatingBlend) and index.rating_model.n_items == len(index.items)
    rows = index.rows([1, 50])
    stars = index.rating_model.predict(rows, [5.0, 4.0], np.arange(len(index.items)))
    assert np.isfinite(stars).all() and stars.min() >= 0.5 and stars.max() <= 5.0


def test_a_damaged_rating_array_is_refused_at_load(indexed_app, tmp_path):
    copy = tmp_path / "version"
    shutil.copytree(live_folder(indexed_app), copy)
    path = copy / RATING_DIR / "mf" / "item_factors.npy"
    raw = bytearray(path.read_bytes())
    raw[-8:] = b"\xff" * 8
    path.write_bytes(bytes(raw))
    with pytest.raises(VersionError, match="item_factors"):
        load_index(copy)


def test_a_version_built_before_rating_models_still_loads(indexed_app, tmp_path):
    copy = tmp_path / "version"
    shutil.copytree(live_folder(indexed_app), copy)
    shutil.rmtree(copy / RATING_DIR)
    manifest = json.loads((copy / MANIFEST).read_text())
    manifest["files"] = {k: v for k, v in manifest["files"].items() if not k.startswith(RATING_DIR + "/")}
    (copy / MANIFEST).write_text(json.dumps(manifest))
    assert load_index(copy).rating_model is None
