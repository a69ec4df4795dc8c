"""`/api/openapi.json` describes exactly the JSON API the app serves (routes and methods)."""
import re


def _served(app) -> set[tuple[str, str]]:
    """(OpenAPI path, method) of every JSON route of the app."""
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/") or rule.rule == "/healthz":
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
            found |= {(path, m.lower()) for m in rule.methods - {"HEAD", "OPTIONS"}}
    return found


def test_document_matches_the_routes(client, app):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    document = response.get_json()
    assert document["openapi"].startswith("3.")
    described = {(path, method) for path, item in document["paths"].items() for method in item}
    assert described == _served(app)
    for path, item in document["paths"].items():
        for operation in item.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path":
                    assert "{" + parameter["name"] + "}" in path
