"""`GET /api/openapi.json`: the JSON API of CONTRACT.md as an OpenAPI 3.1 document, for clients
and fuzzers. A static dict kept beside the routes; tests/test_openapi.py fails when the two drift."""
from flask import jsonify

from recommender.serving import predicted
from recommender.serving.browse import MAX_OFFSET, SORTS
from recommender.serving.service import MAX_K

from ..lookups import MAX_YEAR, MIN_YEAR
from . import bp
from .imports import OPENAPI_PATHS as IMPORT_PATHS


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict:
    return {str(s): {"$ref": "#/components/responses/Error"} for s in statuses}


def _int_param(name: str, default: int, where: str = "query") -> dict:
    return {"name": name, "in": where, "required": False,
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_K, "default": default}}


MOVIE_ID = {"name": "movie_id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
GENRE = {"name": "genre", "in": "query", "required": False, "schema": {"type": "string"},
         "description": "a genre of the catalogue, any case"}
Q = {"name": "q", "in": "query", "schema": {"type": "string", "maxLength": 200}}
BROWSE = [
    {"name": "genre", "in": "query", "required": False, "explode": True,
     "schema": {"type": "array", "items": {"type": "string"}}, "description": "repeat for any of several genres"},
    *({"name": name, "in": "query", "required": False,
       "schema": {"type": "integer", "minimum": MIN_YEAR, "maximum": MAX_YEAR}} for name in ("year_from", "year_to")),
    {"name": "sort", "in": "query", "required": False, "schema": {"type": "string", "enum": list(SORTS),
                                                                   "default": "best"}},
    {"name": "min_rating", "in": "query", "required": False, "schema": {"type": "number", "minimum": 0.5, "maximum": 5}},
    {"name": "offset", "in": "query", "required": False,
     "schema": {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0}},
]
BEARER = [{"bearer": []}]
OPTIONAL_BEARER = [{}, {"bearer": []}]  # anyone; with a token, none of its account's hidden films
CREDENTIALS = {"required": True, "content": {"application/json": {"schema": _ref("Credentials")}}}
RECS = {"type": "object", "required": ["results"],
        "properties": {"results": {"type": "array", "items": _ref("Recommendation")}}}

DOCUMENT = {
    "openapi": "3.1.0",
    "info": {"title": "Movie recommender", "version": "1",
             "description": "Every error is {\"error\": {\"code\", \"message\"}} with a 4xx status."},
    "paths": {
        "/healthz": {"get": {"summary": "liveness, index version and counts", "responses": {
            "200": _json({"type": "object", "required": ["status", "index_version", "movies", "ratings"]}, "ok")}}},
        "/api/movies": {"get": {"summary": "title lookup for autocomplete",
                                "parameters": [Q, GENRE, _int_param("limit", 10)],
                                "responses": {"200": _json({"type": "object", "properties": {
                                    "results": {"type": "array", "items": _ref("Movie")}}}, "matches"),
                                    **_errors(400)}}},
        "/api/movies/{movie_id}": {"get": {"summary": "one movie", "parameters": [MOVIE_ID],
                                           "responses": {"200": _json(_ref("Movie"), "the movie"), **_errors(404)}}},
        "/api/movies/{movie_id}/similar": {"get": {
            "summary": "movies like this one", "security": OPTIONAL_BEARER,
            "parameters": [MOVIE_ID, _int_param("k", 10), GENRE],
            "responses": {"200": _json({"type": "object", "properties": {
                "movie": _ref("Movie"), "results": RECS["properties"]["results"]}}, "similar movies"),
                **_errors(400, 404)}}},
        "/api/search": {"get": {"summary": "free-text content search", "security": OPTIONAL_BEARER,
                                "parameters": [{**Q, "required": True}, _int_param("k", 10), GENRE],
                                "responses": {"200": _json(RECS, "matches"), **_errors(400)}}},
        "/api/users": {"post": {"summary": "sign up", "requestBody": CREDENTIALS, "responses": {
            "201": _json({"type": "object", "properties": {"id": {"type": "integer"},
                                                           "username": {"type": "string"}}}, "created"),
            **_errors(400, 409, 413)}}},
        "/api/token": {
            "post": {"summary": "a bearer token", "requestBody": CREDENTIALS, "responses": {
                "200": _json({"type": "object", "properties": {"token": {"type": "string"}}}, "the token"),
                **_errors(400, 401, 413, 429)}},
            "delete": {"summary": "revoke this token", "security": BEARER,
                       "responses": {"204": {"description": "revoked"}, **_errors(401)}}},
        "/api/feed": {"get": {"summary": "personalized feed", "security": BEARER,
                              "parameters": [_int_param("k", 20), *BROWSE],
                              "responses": {"200": _json(RECS, "the feed"), **_errors(400, 401)}}},
        "/api/ratings": {"get": {"summary": "my ratings, newest first", "security": BEARER, "responses": {
            "200": _json({"type": "object", "properties": {"results": {"type": "array", "items": {
                "type": "object", "properties": {"movie": _ref("Movie"), "rating": {"type": "number"},
                                                 "rated_at": {"type": "string", "format": "date-time"}}}}}},
                         "ratings"), **_errors(401)}}},
        "/api/ratings/{movie_id}": {
            "put": {"summary": "rate a movie", "security": BEARER, "parameters": [MOVIE_ID],
                    "requestBody": {"required": True, "content": {"application/json": {"schema": {
                        "type": "object", "required": ["rating"], "properties": {"rating": {
                            "type": "number", "minimum": 0.5, "maximum": 5.0, "multipleOf": 0.5}}}}}},
                    "responses": {"200": {"description": "changed"}, "201": {"description": "created"},
                                  **_errors(400, 401, 404, 413)}},
            "delete": {"summary": "remove my rating", "security": BEARER, "parameters": [MOVIE_ID],
                       "responses": {"204": {"description": "removed"}, **_errors(401, 404)}}},
        "/api/hidden": {"get": {"summary": "films I am not interested in, newest first", "security": BEARER,
                                "responses": {"200": _json({"type": "object", "properties": {"results": {
                                    "type": "array", "items": {"type": "object", "properties": {
                                        "movie": _ref("Movie"),
                                        "hidden_at": {"type": "string", "format": "date-time"}}}}}},
                                    "hidden films"), **_errors(401)}}},
        "/api/hidden/{movie_id}": {
            "put": {"summary": "not interested: never show this film to me again", "security": BEARER,
                    "parameters": [MOVIE_ID],
                    "responses": {"200": {"description": "hidden already"}, "201": {"description": "hidden"},
                                  **_errors(401, 404)}},
            "delete": {"summary": "show this film again", "security": BEARER, "parameters": [MOVIE_ID],
                       "responses": {"204": {"description": "shown again"}, **_errors(401, 404)}}},
        "/api/watchlist": {"get": {"summary": "films I want to watch, newest first", "security": BEARER,
                                   "responses": {"200": _json({"type": "object", "properties": {"results": {
                                       "type": "array", "items": {"type": "object", "properties": {
                                           "movie": _ref("Movie"),
                                           "added_at": {"type": "string", "format": "date-time"}}}}}},
                                       "watchlist"), **_errors(401)}}},
        "/api/watchlist/{movie_id}": {
            "put": {"summary": "want to watch: on my watchlist, out of my feed", "security": BEARER,
                    "parameters": [MOVIE_ID],
                    "responses": {"200": {"description": "on it already"}, "201": {"description": "added"},
                                  **_errors(401, 404)}},
            "delete": {"summary": "off my watchlist", "security": BEARER, "parameters": [MOVIE_ID],
                       "responses": {"204": {"description": "removed"}, **_errors(401, 404)}}},
        "/api/export": {"get": {
            "summary": "my ratings, watchlist and hidden films (JSON), or my ratings as a Letterboxd ratings.csv",
            "security": BEARER,
            "parameters": [{"name": "format", "in": "query", "required": False,
                            "schema": {"type": "string", "enum": ["json", "csv"], "default": "json"}}],
            "responses": {"200": {"description": "the download", "content": {
                "application/json": {"schema": {"type": "object", "required": ["ratings", "watchlist", "hidden"]}},
                "text/csv": {"schema": {"type": "string"}}}}, **_errors(400, 401)}}},
        "/api/account": {"delete": {
            "summary": "delete my account and everything of it (ratings, lists, tokens, logins)",
            "security": BEARER,
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["password"], "properties": {"password": {"type": "string"}}}}}},
            "responses": {"204": {"description": "deleted"}, **_errors(400, 401, 403, 413, 429)}}},
        **IMPORT_PATHS,
        "/api/openapi.json": {"get": {"summary": "this document",
                                      "responses": {"200": {"description": "OpenAPI 3.1"}}}},
    },
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "responses": {"Error": _json(_ref("Error"), "the contract's error")},
        "schemas": {
            "Error": {"type": "object", "required": ["error"], "properties": {"error": {
                "type": "object", "required": ["code", "message"],
                "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}}},
            "Movie": {"type": "object", "required": ["id", "title", "year", "genres", "avg_rating", "num_ratings"],
                      "properties": {"id": {"type": "integer"}, "title": {"type": "string"},
                                     "display_title": {"type": "string"},
                                     "year": {"type": ["integer", "null"]},
                                     "genres": {"type": "array", "items": {"type": "string"}},
                                     "avg_rating": {"type": ["number", "null"]},
                                     "num_ratings": {"type": "integer"},
                                     "predicted_rating": {"type": ["number", "null"],
                                                          "description": predicted.DESCRIPTION},
                                     "hidden": {"type": "boolean", "description":
                                                "GET /api/movies/<id> with a bearer token: whether its "
                                                "account said \"not interested\" to the movie"}}},
            "Recommendation": {"type": "object", "required": ["movie", "score", "reason"],
                               "properties": {"movie": _ref("Movie"), "score": {"type": "number"},
                                              "reason": {"type": "string"}}},
            "Credentials": {"type": "object", "required": ["username", "password"],
                            "properties": {"username": {"type": "string", "minLength": 3, "maxLength": 30},
                                           "password": {"type": "string", "minLength": 8}}},
        },
    },
}


@bp.get("/openapi.json")
def openapi():
    """The document above."""
    return jsonify(DOCUMENT)
