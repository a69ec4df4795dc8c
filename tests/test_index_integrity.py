"""Damaged, truncated or unnamed index versions never reach a response (issue 14, items 4-6).

A version is read into private memory and checked against its manifest when loaded: bytes
overwritten with the size kept, a truncated file or a NaN are refused, /healthz says why, and
the worker keeps the version it had or serves popularity. Files that change under a live
version change nothing served (no mapping: no SIGBUS, no NaN), only /healthz. CURRENT holding
anything but a version name is "no usable version", never a 500. And whatever a model
computes, no NaN or infinite score reaches a response."""
from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from recommender.serving.index import VersionError, current_version, load_index, sha256
from recommender.serving.memo import Memo
from tests.web_helpers import signup
from webapp import create_app

REPO = Path(__file__).resolve().parents[1]
NPY_HEADER = 128  # where the data of the fixture version's small .npy files starts
RATED = (1, 3, 4)  # Toy Story, Star Wars, The Empire Strikes Back


def root(app) -> Path:
    return Path(app.config["INDEX_ROOT"])


def live_folder(app) -> Path:
    return root(app) / current_version(root(app))


def new_worker(app):
    """A fresh app over the same instance: what a worker (re)started now would load."""
    return create_app(dict(app.config), instance_path=app.instance_path)


def overwrite(path: Path, fill: bytes = b"\xff") -> None:
    """Overwrite everything after the first NPY_HEADER bytes in place, the size kept: what a bad
    disk or a stray `dd` does. 0xff bytes read as NaN in float32."""
    time.sleep(0.02)  # a modification time the load's stat can tell apart
    size = path.stat().st_size
    with open(path, "r+b") as f:
        f.seek(NPY_HEADER)
        f.write(fill * (size - NPY_HEADER))


def strict_json(response) -> dict:
    """The body as JSON in which NaN and Infinity are errors, not numbers."""
    def refuse(constant):
        raise AssertionError(f"{constant} in {response.request.path}")
    assert response.status_code == 200, (response.status_code, response.get_data(as_text=True)[:300])
    return json.loads(response.get_data(as_text=True), parse_constant=refuse)


def finite_scores(body: dict) -> list[float]:
    """The results' scores, each a real, finite number (orjson writes NaN as null)."""
    scores = [r["score"] for r in body["results"]]
    assert all(isinstance(s, (int, float)) and math.isfinite(s) for s in scores), scores
    return scores


def rater(client) -> dict:
    """A signed-up account that rated RATED, so its feed is the model's, not popularity's."""
    account = signup(client, "integrity")
    for movie_id in RATED:
        assert client.put(f"/api/ratings/{movie_id}", json={"rating": 5},
                          headers=account["headers"]).status_code in (200, 201)
    return account


def answers(client, account: dict) -> dict:
    """Feed, similar and search as JSON (strictly parsed, every score finite)."""
    bodies = {"feed": strict_json(client.get("/api/feed?k=5", headers=account["headers"])),
              "similar": strict_json(client.get("/api/movies/3/similar?k=5")),
              "search": strict_json(client.get("/api/search?q=space+war&k=5"))}
    for body in bodies.values():
        finite_scores(body)
    return bodies


def test_bytes_overwritten_in_a_version_are_refused_at_load(indexed_app):
    """Sizes kept, so only the checksums can tell: a new worker refuses the version, says which
    file on /healthz, and answers from popularity with finite scores."""
    folder = live_folder(indexed_app)
    overwrite(folder / "model" / "ease" / "B.npy")
    overwrite(folder / "content_vectors.npy")
    worker = new_worker(indexed_app).test_client()
    body = worker.get("/healthz").get_json()
    assert body["status"] == "degraded" and body["index_version"] is None
    assert "checksum" in body["index_error"] and folder.name in body["index_error"]
    bodies = answers(worker, rater(worker))
    assert bodies["feed"]["index_version"] is None
    assert all(r["reason"].startswith("Popular") for r in bodies["feed"]["results"])


def test_a_worker_keeps_its_good_version_when_current_names_a_damaged_one(indexed_app):
    """CURRENT switches to a rebuilt version whose bytes were then damaged: the worker keeps the
    version it serves, feeds exactly as before, and /healthz names the refused version."""
    client = indexed_app.test_client()
    account = rater(client)
    good = client.get("/healthz").get_json()["index_version"]
    before = answers(client, account)
    assert indexed_app.test_cli_runner().invoke(args=["index", "rebuild"]).exit_code == 0
    bad = current_version(root(indexed_app))
    assert bad != good
    overwrite(root(indexed_app) / bad / "model" / "ease" / "B.npy")
    body = client.get("/healthz").get_json()
    assert body["status"] == "degraded" and body["index_version"] == good
    assert bad in body["index_error"] and "B.npy" in body["index_error"]
    after = answers(client, account)
    assert after["feed"]["results"] == before["feed"]["results"]
    assert after["feed"]["index_version"] == good


def test_live_files_overwritten_change_nothing_served_and_degrade_health(indexed_app):
    """The live version's arrays overwritten on disk while it serves: answers stay those of the
    copy checked at load (a mapped file would now yield NaN), and /healthz names the files."""
    client = indexed_app.test_client()
    account = rater(client)
    before = answers(client, account)
    live = client.get("/healthz").get_json()["index_version"]
    folder = live_folder(indexed_app)
    for name in ("model/ease/B.npy", "model/rp3/W.npy", "content_vectors.npy"):
        overwrite(folder / name)
    after = answers(client, account)
    for question in ("feed", "similar", "search"):
        assert after[question]["results"] == before[question]["results"], question
    body = client.get("/healthz").get_json()
    assert body["status"] == "degraded" and body["index_version"] == live
    assert "changed on disk" in body["index_error"] and "model/ease/B.npy" in body["index_error"]


TRUNCATE_LIVE = """
import json, os, sys
from pathlib import Path
from tests.web_helpers import signup
from webapp import create_app

instance = Path(sys.argv[1])
app = create_app({"TESTING": True, "EMBEDDER": "hashing", "INDEX_CHECK_INTERVAL": 0,
                  "INDEX_SWAP_IN_BACKGROUND": False}, instance_path=instance)
client = app.test_client()
account = signup(client, "truncated")
for movie_id in (1, 3, 4):
    client.put(f"/api/ratings/{movie_id}", json={"rating": 5}, headers=account["headers"])
paths = ["/api/feed?k=5", "/api/movies/3/similar?k=5", "/api/search?q=space+war&k=5"]
for path in paths:  # everything touched once: pages a mapping would fault in are in use
    client.get(path, headers=account["headers"])
live = instance / "index" / (instance / "index" / "CURRENT").read_text().strip()
for path in live.rglob("*"):
    if path.suffix in (".npy", ".faiss"):
        os.truncate(path, 0)
for path in paths * 3:
    response = client.get(path, headers=account["headers"])
    print(json.dumps({"path": path, "status": response.status_code, "body": response.get_data(as_text=True)}))
print(json.dumps({"path": "/healthz", "status": 200, "body": client.get("/healthz").get_data(as_text=True)}))
restarted = create_app(dict(app.config), instance_path=instance).test_client()
print(json.dumps({"path": "/healthz", "status": 200, "body": restarted.get("/healthz").get_data(as_text=True)}))
"""


def test_truncated_live_files_never_crash_the_worker(indexed_app, tmp_path):
    """`truncate` on every array and index of the live version after a worker loaded it (the
    issue's SIGBUS loop): the worker process lives on, answers every request from memory with
    finite scores, and /healthz says degraded; a worker started afterwards refuses the version.
    Run in a child process: a SIGBUS would kill it."""
    instance = tmp_path / "copy"
    shutil.copytree(indexed_app.instance_path, instance)
    child = subprocess.run([sys.executable, "-c", TRUNCATE_LIVE, str(instance)], cwd=REPO,
                           capture_output=True, text=True, timeout=120)
    assert child.returncode == 0, f"worker died ({child.returncode}): {child.stderr[-2000:]}"
    lines = [json.loads(line) for line in child.stdout.splitlines() if line.startswith("{")]
    assert len(lines) == 11
    for line in lines:
        assert line["status"] == 200, line
        body = json.loads(line["body"], parse_constant=lambda c: pytest.fail(f"{c} in {line['path']}"))
        if line["path"] != "/healthz":
            assert body["results"] and finite_scores(body)
    health = json.loads(lines[-2]["body"])
    assert health["status"] == "degraded" and "changed on disk" in health["index_error"]
    assert health["index_version"] is not None  # still served from memory
    restarted = json.loads(lines[-1]["body"])
    assert restarted["status"] == "degraded" and restarted["index_version"] is None
    assert "truncated" in restarted["index_error"]


def test_a_loaded_version_maps_none_of_its_files(indexed_app):
    """The root of the SIGBUS: nothing of a version loaded for serving is memory-mapped."""
    folder = live_folder(indexed_app)
    index = load_index(folder)
    assert index.model is not None
    with open("/proc/self/maps") as maps:
        mapped = [line for line in maps if str(folder) in line]
    assert mapped == []


def test_nan_in_an_array_is_refused_even_with_a_matching_checksum(indexed_app):
    """A build that wrote NaN (the manifest then agrees with the file): the load's own finiteness
    check refuses it."""
    folder = live_folder(indexed_app)
    path = folder / "model" / "ease" / "B.npy"
    overwrite(path)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"]["model/ease/B.npy"]["sha256"] = sha256(path)
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(VersionError, match="not finite"):
        load_index(folder)


def test_non_finite_scores_never_reach_a_response(indexed_app):
    """Whatever the models compute (NaN, +inf, -inf), feed, similar and search answer only
    finite scores: the ones that are not are dropped."""
    client = indexed_app.test_client()
    account = rater(client)
    answers(client, account)  # loads the version
    index = indexed_app.extensions["index_holder"].current()
    model = index.model
    feed_explained, similar_items = model.feed_explained, model.similar_items

    def broken_feed(*args, **kwargs):
        top, scores, because = feed_explained(*args, **kwargs)
        scores = scores.astype(np.float32)  # a copy
        scores[:2] = (np.nan, np.inf)
        return top, scores, because

    def broken_similar(*args, **kwargs):
        rows, scores, sources = similar_items(*args, **kwargs)
        scores = scores.astype(np.float32)
        scores[:2] = (np.nan, -np.inf)
        return rows, scores, sources

    model.feed_explained, model.similar_items = broken_feed, broken_similar
    index.memo = Memo()  # the answers remembered from before the models broke
    index.content_vectors = np.full(index.content_vectors.shape, np.nan, dtype=np.float32)
    bodies = answers(client, account)
    assert len(bodies["feed"]["results"]) == 3 and len(bodies["similar"]["results"]) == 3
    assert bodies["search"]["results"] == []
    for page in ("/movies/3", "/?mode=text&q=space+war"):
        assert client.get(page).status_code == 200


UNUSABLE_CURRENT = {
    "not UTF-8": b"\xff\xfe\x80\x81 not text\n",
    "no such folder": b"no-such-version\n",
    "a way out of the root": None,  # "../index/<live>": reaches a good version, and is refused
    "an absolute path": b"/etc\n",
    "a hidden build folder": b".building-20990101T000000.000000-1\n",
    "too long": b"x" * 4096,
}
ROUTES = ("/", "/?q=sta", "/?mode=text&q=space+war", "/movies/3", "/login", "/api/movies?q=sta",
          "/api/movies/3/similar?k=3", "/api/search?q=space+war", "/api/openapi.json")


@pytest.mark.parametrize("case", sorted(UNUSABLE_CURRENT))
def test_current_that_names_no_usable_version_is_degraded_not_a_500(indexed_app, case):
    """A new worker: every route answers, /healthz is degraded with a reason, the feed is the
    newest version's on disk that loads (the one CURRENT named before), and the indexer's
    current_version reads CURRENT as no version."""
    live = current_version(root(indexed_app))
    raw = UNUSABLE_CURRENT[case] or f"../index/{live}\n".encode()
    (root(indexed_app) / "CURRENT").write_bytes(raw)
    client = new_worker(indexed_app).test_client()
    for route in ROUTES:
        assert client.get(route).status_code < 500, route
    body = client.get("/healthz").get_json()
    assert body["status"] == "degraded" and body["index_version"] == live
    assert f"serving {live}, the newest version that loads" in body["index_error"]
    feed = strict_json(client.get("/api/feed?k=5", headers=rater(client)["headers"]))
    assert feed["index_version"] == live and not any(r["reason"].startswith("Popular") for r in feed["results"])
    assert current_version(root(indexed_app)) in (None, "no-such-version")


def test_a_new_worker_serves_the_version_before_a_damaged_one(indexed_app):
    """Restarted onto a version damaged on disk, with the version before it intact: that one is
    served (it was popularity's list), degraded and saying which; once CURRENT names a version
    that loads, that one, and ok."""
    good = current_version(root(indexed_app))
    assert indexed_app.test_cli_runner().invoke(args=["index", "rebuild"]).exit_code == 0
    bad = current_version(root(indexed_app))
    overwrite(root(indexed_app) / bad / "model" / "ease" / "B.npy")
    client = new_worker(indexed_app).test_client()
    body = client.get("/healthz").get_json()
    assert body["status"] == "degraded" and body["index_version"] == good
    assert bad in body["index_error"] and f"serving {good}" in body["index_error"]
    assert answers(client, rater(client))["feed"]["index_version"] == good
    (root(indexed_app) / "CURRENT").write_text(good + "\n")
    time.sleep(1.1)  # the worker looks at CURRENT at most every second
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok" and body["index_version"] == good


def test_current_turning_to_garbage_keeps_a_running_worker_on_its_version(indexed_app):
    """Bytes that are not UTF-8 in CURRENT under a worker that serves: it keeps its version,
    says so on /healthz, and is ok again once CURRENT names the version again."""
    client = indexed_app.test_client()
    live = client.get("/healthz").get_json()["index_version"]
    (root(indexed_app) / "CURRENT").write_bytes(b"\xc3\x28\xa0\xa1\n")
    for route in ROUTES:
        assert client.get(route).status_code < 500, route
    body = client.get("/healthz").get_json()
    assert body["status"] == "degraded" and body["index_version"] == live
    assert "UTF-8" in body["index_error"]
    (root(indexed_app) / "CURRENT").write_text(live + "\n")
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok" and body["index_version"] == live and "index_error" not in body
