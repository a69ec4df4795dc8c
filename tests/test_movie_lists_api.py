"""What the two personal lists' APIs share, "not interested" (/api/hidden, issue 16) and "want
to watch" (/api/watchlist, issue 19): bearer auth only, and a refused request writes nothing."""
import pytest

from tests.conftest import snapshot
from tests.test_hidden import error_code
from tests.web_helpers import login_form, signup

LISTS = ["/api/hidden", "/api/watchlist"]


@pytest.mark.parametrize("root", LISTS)
@pytest.mark.parametrize("method, item", [("GET", ""), ("PUT", "/3"), ("DELETE", "/3")])
@pytest.mark.parametrize("header", [None, "Bearer nonsense", "Basic YWxpY2U6eA=="])
def test_auth_required_and_nothing_written(app, client, root, method, item, header):
    signup(client)
    before = snapshot(app.config["DATABASE"])
    response = client.open(root + item, method=method, headers={"Authorization": header} if header else {})
    assert error_code(response, 401) == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert snapshot(app.config["DATABASE"]) == before


@pytest.mark.parametrize("root", LISTS)
def test_a_session_cookie_alone_is_not_api_auth(client, root):
    signup(client)
    assert login_form(client).status_code == 302
    assert error_code(client.put(f"{root}/3"), 401) == "unauthorized"
