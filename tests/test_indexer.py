"""`flask index rebuild` on the fixture release: versions, atomic switch, caches, hot swap."""
import json
import shutil
import sys
import threading
from pathlib import Path

from indexer import build, versions
from recommender import store
from recommender.serving.index import current_version, load_index
from webapp import create_app
from webapp.serving import get_recommender


def rebuild(app, *args):
    result = app.test_cli_runner().invoke(args=["index", "rebuild", *args])
    return result


def root(app) -> Path:
    return Path(app.config["INDEX_ROOT"])


def test_rebuild_makes_a_loadable_version(indexed_app):
    live = current_version(root(indexed_app))
    index = load_index(root(indexed_app) / live)
    assert len(index.items) == 30 and index.version == live
    manifest = json.loads((root(indexed_app) / live / "manifest.json").read_text())
    assert manifest["counts"]["movies"] == 30 and manifest["counts"]["ratings"] == 313
    assert "hybrid" in manifest["params"] and manifest["seconds"]
    assert all(len(f["sha256"]) == 64 for f in manifest["files"].values())
    versions.verify(root(indexed_app) / live)


def test_summary_lists_counts_stages_and_version(app):
    result = rebuild(app)
    assert result.exit_code == 0, result.output
    assert "is live" in result.output and "30 movies" in result.output
    assert "content embeddings" in result.output and "[4/5] user profiles" in result.output
    assert "[5/5] rating model" in result.output


def test_failure_mid_build_leaves_current_untouched(indexed_app, monkeypatch):
    before = current_version(root(indexed_app))
    files_before = sorted(p.name for p in root(indexed_app).iterdir())

    def explode(*args, **kwargs):
        raise RuntimeError("injected failure")

    monkeypatch.setattr(build, "fit_models", explode)
    result = rebuild(indexed_app)
    assert result.exit_code == 1 and "live version is unchanged" in result.output
    assert current_version(root(indexed_app)) == before
    assert sorted(p.name for p in root(indexed_app).iterdir()) == files_before
    versions.verify(root(indexed_app) / before)


def test_dry_run_checks_without_switching(indexed_app):
    before = current_version(root(indexed_app))
    result = rebuild(indexed_app, "--dry-run")
    assert result.exit_code == 0 and "dry run" in result.output
    assert current_version(root(indexed_app)) == before
    assert versions.versions(root(indexed_app)) == [before]


def test_keeps_two_versions(indexed_app):
    for _ in range(3):
        assert rebuild(indexed_app).exit_code == 0
    kept = versions.versions(root(indexed_app))
    assert len(kept) == 2 and current_version(root(indexed_app)) == kept[-1]


def test_new_movie_appears_and_unchanged_movies_are_not_re_embedded(indexed_app):
    db = store.connect(indexed_app.config["DATABASE"])
    db["movies"].insert({"id": 999, "title": "Alien Resurrection (1997)", "display_title": "Alien Resurrection",
                         "year": 1997, "genres": "Action|Sci-Fi", "search_key": "alien resurrection"})
    db.close()
    result = rebuild(indexed_app)
    assert "1 texts embedded" in result.output
    index = load_index(root(indexed_app) / current_version(root(indexed_app)))
    assert index.rows([999])[0] >= 0 and index.content_index.ntotal == 31
    result = rebuild(indexed_app)
    assert "0 texts embedded" in result.output


def test_stale_build_folder_of_a_dead_builder_is_removed(indexed_app):
    stale = root(indexed_app) / ".building-20200101T000000.000000-999999"
    stale.mkdir()
    assert rebuild(indexed_app).exit_code == 0
    assert not stale.exists()


def test_app_swaps_to_new_version_without_restart(indexed_app):
    client = indexed_app.test_client()
    first = client.get("/healthz").get_json()["index_version"]
    assert first == current_version(root(indexed_app))
    assert rebuild(indexed_app).exit_code == 0
    second = client.get("/healthz").get_json()["index_version"]
    assert second != first and second == current_version(root(indexed_app))


def test_a_new_version_loads_off_the_request_path(indexed_app, monkeypatch):
    """With INDEX_SWAP_IN_BACKGROUND (production's default), requests go on being answered from
    the served version while a new one loads on a thread, then from the new one."""
    from webapp import index_holder

    holder = indexed_app.extensions["index_holder"]
    holder.swap_in_background = True
    client = indexed_app.test_client()
    first = client.get("/healthz").get_json()["index_version"]
    release, started = threading.Event(), threading.Event()
    real_load = index_holder.load_index

    interval = sys.getswitchinterval()
    seen = []

    def slow_load(folder):
        seen.append(sys.getswitchinterval())  # the loader yields the interpreter more often
        started.set()
        assert release.wait(30)
        return real_load(folder)

    monkeypatch.setattr(index_holder, "load_index", slow_load)
    assert rebuild(indexed_app).exit_code == 0
    during = client.get("/healthz").get_json()
    assert started.wait(30) and during["index_version"] == first and during["status"] == "ok"
    assert client.get("/api/movies/1/similar").status_code == 200  # served by the old version
    release.set()
    holder.wait_for_load(30)
    assert client.get("/healthz").get_json()["index_version"] == current_version(root(indexed_app)) != first
    assert seen == [index_holder.LOADING_SWITCH_INTERVAL] and sys.getswitchinterval() == interval


def test_corrupt_version_degrades_health_and_feed_falls_back(indexed_app, caplog):
    live = root(indexed_app) / current_version(root(indexed_app))
    (live / "content_vectors.npy").write_bytes(b"garbage")
    app = create_app(dict(indexed_app.config), instance_path=indexed_app.instance_path)  # a new worker
    body = app.test_client().get("/healthz").get_json()
    assert body["status"] == "degraded" and "corrupt" in body["index_error"]
    assert "corrupt" in caplog.text
    with app.app_context():
        recs = get_recommender().feed(1, 5)
    assert len(recs) == 5 and recs[0].reason.startswith("Popular")


def test_missing_index_reports_degraded(app):
    body = app.test_client().get("/healthz").get_json()
    assert body["status"] == "degraded" and body["index_version"] is None


def test_missing_version_degrades_health_and_feed_falls_back_over_http(indexed_app, caplog):
    """CURRENT naming a version that is gone (deleted by hand, or a bad restore) and no other
    version on disk: /healthz says so, the feed answers from popularity, and the error is
    logged; nothing crashes."""
    for version in versions.versions(root(indexed_app)):
        shutil.rmtree(root(indexed_app) / version)
    (root(indexed_app) / "CURRENT").write_text("20990101T000000.000000-1\n")
    app = create_app(dict(indexed_app.config), instance_path=indexed_app.instance_path)  # a new worker
    client = app.test_client()
    body = client.get("/healthz").get_json()
    assert body["status"] == "degraded" and body["index_version"] is None
    assert "20990101T000000.000000-1" in body["index_error"] and "cannot be loaded" in caplog.text
    token = client.post("/api/users", json={"username": "alice", "password": "correct horse battery"})
    token = client.post("/api/token", json={"username": "alice", "password": "correct horse battery"})
    feed = client.get("/api/feed?k=5", headers={"Authorization": f"Bearer {token.get_json()['token']}"})
    assert feed.status_code == 200 and feed.get_json()["index_version"] is None
    assert len(feed.get_json()["results"]) == 5
    assert client.get("/api/movies/3/similar?k=3").status_code == 200


def test_corrupt_new_version_keeps_a_running_app_on_the_old_one(indexed_app, caplog):
    """A worker already serving a good version, when CURRENT switches to a corrupt one: it keeps
    the good one, and /healthz reports the error next to the version it still serves."""
    client = indexed_app.test_client()
    good = client.get("/healthz").get_json()["index_version"]
    assert rebuild(indexed_app).exit_code == 0
    bad = current_version(root(indexed_app))
    (root(indexed_app) / bad / "content.faiss").write_bytes(b"garbage")
    body = client.get("/healthz").get_json()
    assert body["status"] == "degraded" and body["index_version"] == good and bad in body["index_error"]
    assert client.get("/api/movies/3/similar?k=3").get_json()["results"]
    assert rebuild(indexed_app).exit_code == 0  # the next good build heals it
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok" and body["index_version"] == current_version(root(indexed_app))
