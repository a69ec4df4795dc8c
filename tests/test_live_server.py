"""Under a real gunicorn with 4 worker processes: concurrent writers lose nothing, rebuilds under
load fail no request, and a rebuild killed with SIGKILL leaves the live version serving.

One server for the module (start-up is the expensive part); each test is bounded in requests and
time, and checks the store or the index root directly, not only what the server says."""
from __future__ import annotations

import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from recommender import store
from recommender.serving.index import current_version
from tests.live_server import Gunicorn, flask_cli, make_instance, run_flask
from tests.web_helpers import PASSWORD

WRITERS, RATINGS_EACH = 8, 250
# The real `flask index rebuild`, with its model stage held for two minutes: the kill lands mid-build
# however fast or slow the machine is.
STALLED_BUILD = ("import time; import indexer.build as b; fit = b.fit_models; "
                 "b.fit_models = lambda *a, **k: (time.sleep(120), fit(*a, **k))[1]; "
                 "from flask.cli import main; main()")
EXTRA_MOVIES = range(1001, 1001 + RATINGS_EACH)  # the fixture has 30 movies; each writer rates 250


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    instance = make_instance(tmp_path_factory.mktemp("live") / "instance")
    db = store.connect(instance / "movies.db")
    db["movies"].insert_all([{"id": i, "title": f"Filler {i} (1999)", "display_title": f"Filler {i}",
                              "year": 1999, "genres": "Drama", "search_key": f"filler {i}"} for i in EXTRA_MOVIES])
    db["movie_genres"].insert_all([{"movie_id": i, "genre": "Drama"} for i in EXTRA_MOVIES])
    db.close()
    run_flask(instance, "index", "rebuild")
    running = Gunicorn(instance, workers=4).start()
    yield running
    running.stop()
    log = running.log()
    assert "database is locked" not in log and "Traceback" not in log, log[-3000:]


def account(server: Gunicorn, name: str) -> tuple[int, str]:
    status, body, _ = server.call("POST", "/api/users", {"username": name, "password": PASSWORD})
    assert status == 201, body
    status, token, _ = server.call("POST", "/api/token", {"username": name, "password": PASSWORD})
    assert status == 200, token
    return body["id"], token["token"]


def wait_for_version(server: Gunicorn, version: str, timeout: float = 20.0) -> None:
    """Until 12 /healthz answers in a row (spread over the workers) name `version`."""
    deadline, streak = time.monotonic() + timeout, 0
    while streak < 12:
        assert time.monotonic() < deadline, f"workers still not on {version}"
        status, body, _ = server.call("GET", "/healthz")
        assert status == 200
        streak = streak + 1 if body["index_version"] == version and body["status"] == "ok" else 0
        time.sleep(0.05)


def test_concurrent_writers_lose_no_rating(server):
    """8 clients, each with its own token, PUT 250 ratings at once: all 2000 are in SQLite."""
    users = [account(server, f"writer{n}") for n in range(WRITERS)]
    failures: list = []

    def write(n: int) -> None:
        _, token = users[n]
        for i, movie_id in enumerate(EXTRA_MOVIES):
            rating = 0.5 + ((n + i) % 10) / 2
            status, body, _ = server.call("PUT", f"/api/ratings/{movie_id}", {"rating": rating}, token)
            if status != 201:
                failures.append((n, movie_id, status, body))

    with ThreadPoolExecutor(WRITERS) as pool:
        list(pool.map(write, range(WRITERS)))
    assert failures == []
    db = store.connect(server.instance / "movies.db")
    try:
        for n, (user_id, _) in enumerate(users):
            rows = dict(db.execute("SELECT movie_id, rating FROM ratings WHERE user_id = ?", (user_id,)).fetchall())
            assert rows == {m: 0.5 + ((n + i) % 10) / 2 for i, m in enumerate(EXTRA_MOVIES)}
    finally:
        db.close()


def test_rebuilds_under_load_fail_no_request(server):
    """Readers hit /api/feed and /similar while two `flask index rebuild` runs complete."""
    _, token = account(server, "reader")
    root = server.instance / "index"
    before = current_version(root)
    done, results, errors = threading.Event(), [], []

    def read(n: int) -> None:
        paths = ["/api/feed?k=10", "/api/movies/3/similar?k=5", "/api/movies/1001/similar?k=5"]
        i = 0
        while not done.is_set() and i < 2000:
            path = paths[(n + i) % len(paths)]
            try:
                status, body, _ = server.call("GET", path, token=token if "feed" in path else None)
            except OSError as exc:
                errors.append((path, repr(exc)))
                status, body = 0, None
            results.append(status)
            if status != 200 or not body.get("results"):
                errors.append((path, status, body))
            i += 1
            time.sleep(0.005)  # steady load that leaves the 2 cores room for the rebuilds

    readers = [threading.Thread(target=read, args=(n,)) for n in range(4)]
    for thread in readers:
        thread.start()
    try:
        for _ in range(2):
            run_flask(server.instance, "index", "rebuild")
    finally:
        time.sleep(1.5)  # past INDEX_CHECK_INTERVAL: the readers also meet the swapped version
        done.set()
        for thread in readers:
            thread.join(60)
    after = current_version(root)
    assert after != before and errors == [] and len(results) > 20
    wait_for_version(server, after)


def test_killed_rebuild_leaves_old_version_and_next_rebuild_cleans_up(server):
    """SIGKILL mid-build: the live version keeps serving; the next rebuild succeeds and removes
    the stale `.building-*` folder. The build is held in its model stage so the kill lands there."""
    root = server.instance / "index"
    live = current_version(root)
    proc = flask_cli(server.instance, "index", "rebuild", python_code=STALLED_BUILD)
    deadline = time.monotonic() + 60
    while not [p for p in root.glob(".building-*") if (p / "content.faiss").exists()]:
        assert proc.poll() is None and time.monotonic() < deadline, "the build never reached its model stage"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    stale = list(root.glob(".building-*"))
    assert stale and current_version(root) == live
    time.sleep(1.2)  # a worker's next check of CURRENT
    wait_for_version(server, live)
    status, body, _ = server.call("GET", "/api/movies/3/similar?k=5")
    assert status == 200 and body["results"]

    output = run_flask(server.instance, "index", "rebuild")
    assert "is live" in output
    assert not any(p.exists() for p in stale) and not list(root.glob(".building-*"))
    assert current_version(root) != live
    wait_for_version(server, current_version(root))


def test_ten_thousand_character_query_is_a_4xx_under_gunicorn(server):
    """gunicorn refuses request lines over 4094 bytes itself (plain 400), before the app; a 2,000
    character query reaches the app and gets the contract's JSON error."""
    status, _, _ = server.call("GET", "/api/movies?q=" + "x" * 10_000)
    assert 400 <= status < 500
    status, body, _ = server.call("GET", "/api/search?q=" + "x" * 2_000)
    assert status == 400 and body["error"]["code"] == "invalid_parameter"
