"""The app factory, instance folder and /healthz."""
import os

from webapp import create_app


def test_healthz_counts_and_version(indexed_app):
    body = indexed_app.test_client().get("/healthz").get_json()
    assert body["status"] == "ok" and body["movies"] == 30 and body["ratings"] == 313
    assert body["index_version"]


def test_healthz_on_empty_instance(empty_app):
    body = empty_app.test_client().get("/healthz").get_json()
    assert body["status"] == "degraded" and body["movies"] == 0 and body["index_version"] is None


def test_instance_path_env(monkeypatch, tmp_path):
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "elsewhere"))
    app = create_app({"TESTING": True})
    assert app.instance_path == str(tmp_path / "elsewhere")
    assert app.config["DATABASE"] == str(tmp_path / "elsewhere" / "movies.db")
    key_file = tmp_path / "elsewhere" / "secret_key"
    assert key_file.exists() and oct(os.stat(key_file).st_mode)[-3:] == "600"


def test_secret_key_stable_across_apps(instance):
    first = create_app({"TESTING": True}, instance_path=instance).config["SECRET_KEY"]
    assert create_app({"TESTING": True}, instance_path=instance).config["SECRET_KEY"] == first


def test_unknown_route_is_json_under_api(client):
    response = client.get("/api/nope")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
