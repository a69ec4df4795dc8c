"""Every error as the contract's JSON for API routes, a plain page elsewhere: never a traceback."""
import logging
import sqlite3
from urllib.parse import unquote_to_bytes

from flask import Flask, current_app, jsonify, render_template, render_template_string, request
from flask_wtf.csrf import CSRFError
from gunicorn.http.errors import ParseException
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)
STORE_RETRY_AFTER = 5  # seconds: a little longer than a typical lock is held

_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{{ code }} {{ name }}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main><h1>{{ code }} {{ name }}</h1><p>{{ message }}</p><p><a href="{{ back_url }}">{{ back_label }}</a></p></main></body></html>"""

# Where an error page's one link leads: back to the part of the site the person was in (a bad
# offset in the feed goes back to the feed, not to search): (path, the link's text) of the pages
# CONTRACT.md lists, the first whose path starts the request's wins.
BACK_LINKS = (("/feed", "Back to your feed"), ("/browse", "Back to browse"))
BACK_DEFAULT = ("/", "Back to search")


class ApiError(Exception):
    """Raised by API code for a 4xx with a machine-readable code."""

    def __init__(self, status: int, code: str, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = headers or {}


def wants_json() -> bool:
    """API routes, and the pages' own fetch() calls (they send `X-Requested-With: fetch`)."""
    return (request.path.startswith("/api/") or request.path == "/healthz"
            or request.headers.get("X-Requested-With") == "fetch")


STALE_PAGE = ("This form is out of date (you logged out or in since the page was opened, perhaps in another "
              "tab) or did not come from this site, so nothing was changed. Reload the page and try again.")


def back_link() -> tuple[str, str]:
    """(href, text) of the error page's way back: the feed for /feed and its pages, browse for
    /browse, else search. Only the path is read, never a Referer, so the link is always this site's."""
    path = request.path
    return next(((href, label) for href, label in BACK_LINKS if path == href or path.startswith(href + "/")),
                BACK_DEFAULT)


def error_response(status: int, code: str, message: str, headers: dict | None = None):
    if wants_json():
        return jsonify({"error": {"code": code, "message": message}}), status, headers or {}
    name = code.replace("_", " ")
    heading = "Please reload the page" if code == "csrf_failed" else f"{status} {name.capitalize()}"
    back_url, back_label = back_link()
    context = {"code": status, "name": name, "heading": heading, "message": message,
               "back_url": back_url, "back_label": back_label}
    try:  # the site's own layout; the bare page if even that fails (e.g. the error is in it)
        page = render_template("error.html", **context)
    except Exception:  # noqa: BLE001 - an error page must never raise
        log.exception("error page failed to render")
        page = render_template_string(_PAGE, **context)
    return page, status, headers or {}


def refuse_undecodable_query() -> None:
    """400 for a query string that is not UTF-8 once its percent-escapes are decoded: Werkzeug
    keeps such an escape as the literal text ("%ff%fe" reads "%FF%FE"), so a search would look
    for the letters F, F, F and E. Only a query string with an escape or a non-ASCII byte is read."""
    raw = request.query_string
    if b"%" not in raw and raw.isascii():
        return
    try:
        unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(400, "invalid_query_string",
                       "The query string is not valid UTF-8: its %-escapes must encode UTF-8 text.") from None


def init_app(app: Flask) -> None:
    app.before_request(refuse_undecodable_query)

    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError):
        return error_response(exc.status, exc.code, exc.message, exc.headers)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        code = (exc.name or "error").lower().replace(" ", "_").replace("'", "")
        message = exc.description or exc.name
        if isinstance(exc, CSRFError):
            # a page left open while this browser logged out or in elsewhere: say what to do
            code, message = "csrf_failed", STALE_PAGE
        # keep Allow (405) and the like, but the body's type is ours to set
        headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
        return error_response(exc.code or 500, code, message, headers)

    @app.errorhandler(ParseException)
    def _unreadable_body(exc: ParseException):
        """A body gunicorn cannot read once the app asks for it (a chunked body with a chunk
        size that is no number, or a bad chunk extension): the client's fault, nothing was read
        or written."""
        log.warning("unreadable request body on %s %s: %s", request.method, request.path, exc)
        return error_response(400, "bad_request", "The request's body could not be read: its chunked "
                                                  "encoding is malformed. Nothing was changed.")

    @app.errorhandler(sqlite3.OperationalError)
    def _store_unavailable(exc: sqlite3.OperationalError):
        """Locked past the busy timeout, read-only or failing disk: the write was not made (a
        write is acknowledged only after its commit), so the client may simply try again."""
        log.warning("store unavailable on %s %s: %s", request.method, request.path, exc)
        current_app.extensions["store_connections"].discard()
        return error_response(503, "unavailable",
                              "The database is busy or cannot be written just now, and nothing was "
                              f"changed. Please try again in {STORE_RETRY_AFTER} seconds.",
                              {"Retry-After": str(STORE_RETRY_AFTER)})

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", InternalServerError.description)
