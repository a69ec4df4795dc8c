"""Helpers shared by the web tests: accounts through the API, and apps with CSRF switched on."""
from __future__ import annotations

import re
from pathlib import Path

from webapp import create_app

FIXTURE_RELEASE = Path(__file__).parent / "fixtures" / "ml-100k-mini"
PASSWORD = "correct horse battery"


def imported_app(instance: Path, **config):
    """An app over `instance` holding the fixture release (CSRF on unless told otherwise)."""
    app = create_app({"TESTING": True, "EMBEDDER": "hashing", "INDEX_CHECK_INTERVAL": 0,
                      "INDEX_SWAP_IN_BACKGROUND": False, **config},
                     instance_path=instance)
    result = app.test_cli_runner().invoke(args=["data", "import", "--source", str(FIXTURE_RELEASE)])
    assert result.exit_code == 0, result.output
    return app


def signup(client, username: str = "alice", password: str = PASSWORD) -> dict:
    """A new account and a token for it: `{"id", "username", "token", "headers"}`."""
    created = client.post("/api/users", json={"username": username, "password": password})
    assert created.status_code == 201, created.get_json()
    token = client.post("/api/token", json={"username": username, "password": password}).get_json()["token"]
    return {**created.get_json(), "token": token, "headers": {"Authorization": f"Bearer {token}"}}


def csrf_token(client, path: str = "/login") -> str:
    """The token a page embeds in its forms."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login_form(client, username: str = "alice", password: str = PASSWORD, token: str | None = None):
    data = {"username": username, "password": password}
    if token:
        data["csrf_token"] = token
    return client.post("/login", data=data)
