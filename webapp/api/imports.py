"""`POST /api/import` (a Letterboxd or IMDb ratings file, multipart field `file`): the preview, with
nothing written; `POST /api/import/<import_id>`: confirm it. The reading and matching live in
recommender.ingest.user_import, the preview and the writes in recommender.store.user_import;
the import page (webapp/pages/imports.py) uses the helpers below too."""
from __future__ import annotations

import logging

from flask import g, jsonify, request

from recommender import store
from recommender.ingest import user_import
from recommender.store import catalogue
from recommender.store import user_import as import_store

from ..db import get_db
from ..errors import ApiError
from ..lookups import title_index
from ..security import token_required
from . import bp, json_body

log = logging.getLogger(__name__)
FORM_OVERHEAD = 64 * 1024  # multipart boundaries, headers and the small fields beside the file
MAX_MB = user_import.MAX_BYTES // (1024 * 1024)


def too_large(message: str) -> ApiError:
    return ApiError(413, "import_too_large", message)


def uploaded_file() -> bytes:
    """The bytes of the multipart field `file`: 413 over the import's size limit (refused unread
    when the request says its length), 400 `invalid_import` when there is no file. The request
    may be larger than the app's usual MAX_CONTENT_LENGTH, which is for JSON bodies."""
    limit = user_import.MAX_BYTES + FORM_OVERHEAD
    if request.content_length is not None and request.content_length > limit:
        raise too_large(f"the file is over {MAX_MB} MB; export fewer ratings or split it")
    request.max_content_length = limit
    upload = request.files.get("file")
    if upload is None:
        raise ApiError(400, "invalid_import", "send the CSV file as the multipart form field 'file'")
    data = upload.read(user_import.MAX_BYTES + 1)
    if len(data) > user_import.MAX_BYTES:
        raise too_large(f"the file is over {MAX_MB} MB; export fewer ratings or split it")
    return data


def chosen_format() -> str | None:
    """The optional `format` (letterboxd or imdb), a form field or in the query string; empty
    means: read from the header."""
    fmt = (request.form.get("format") or request.args.get("format") or "").strip().lower()
    if fmt and fmt not in user_import.FORMATS:
        raise ApiError(400, "invalid_parameter", "format must be letterboxd or imdb")
    return fmt or None


def make_preview(user_id: int, data: bytes, fmt: str | None) -> import_store.Preview:
    """Read and match the file, keep the preview for its confirmation; 400/413 on a bad file."""
    try:
        found, file_rows = user_import.read_file(data, fmt)
    except user_import.ImportTooLarge as exc:
        raise too_large(str(exc)) from None
    except user_import.InvalidImport as exc:
        raise ApiError(400, "invalid_import", str(exc)) from None
    db = get_db()
    rows = user_import.preview_rows(file_rows, user_import.CatalogueTitles(import_store.catalogue_titles(db)),
                                    near=lambda title: title_index().search(title, limit=user_import.NEAR_CANDIDATES))
    return import_store.save_preview(db, user_id, found, rows)


def preview_json(preview: import_store.Preview, user_id: int) -> dict:
    """The contract's preview: counts, and every line with its movie (or candidates) as movie
    objects, and `rated_here`: the user's rating of that film on this site, which the import
    keeps unless told to overwrite it (null when there is none)."""
    db = get_db()
    ids = {r["movie"] for r in preview.rows if r["movie"]} | {c for r in preview.rows for c in r["candidates"]}
    movies = {m["id"]: m for m in catalogue.movies_by_ids(db, sorted(ids))}
    rated_ids, rated_stars = store.user_rating_arrays(db, user_id, newest_first=False)
    rated = dict(zip(rated_ids.tolist(), rated_stars.tolist()))
    rows = [{"line": r["line"], "title": r["title"], "year": r["year"], "rating": r["rating"],
             "status": r["status"], "movie": movies.get(r["movie"]),
             "candidates": [movies[c] for c in r["candidates"] if c in movies], "note": r["note"],
             "rated_here": rated.get(r["movie"])}
            for r in preview.rows]
    return {"import_id": preview.id, "format": preview.format, **user_import.counts(preview.rows), "rows": rows}


def confirm_preview(user_id: int, import_id: str, choices: dict[int, int | None], overwrite: bool) -> dict:
    """Write the preview's ratings (ambiguous lines as chosen): `{"imported", "updated", "unchanged"}`;
    404 for a preview that is not this user's or not there any more, 400 for a bad choice."""
    db = get_db()
    try:
        preview = import_store.load_preview(db, user_id, import_id)
        ratings = user_import.ratings_to_write(preview.rows, choices)
        done = import_store.confirm(db, user_id, import_id, ratings, overwrite)
    except import_store.PreviewNotFound:
        raise ApiError(404, "import_not_found", "no such import to confirm: it expired, was confirmed "
                                                "already or is not yours; upload the file again") from None
    except user_import.InvalidChoice as exc:
        raise ApiError(400, "invalid_choice", str(exc)) from None
    log.info("user %s imported a %s file: %s", user_id, preview.format, done)
    return done


def _json_choices(value: object) -> dict[int, int | None]:
    """`{"<line>": movie_id or null}` from the confirmation's JSON."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ApiError(400, "invalid_choice", "choices must be an object of line -> movie id or null")
    choices = {}
    for line, movie_id in value.items():
        if not (line.isdigit() and len(line) <= 9) or not (movie_id is None or catalogue.valid_id(movie_id)):
            raise ApiError(400, "invalid_choice", "choices must be an object of line -> movie id or null")
        choices[int(line)] = movie_id
    return choices


@bp.post("/import")
@token_required
def import_preview():
    """Read a Letterboxd or IMDb ratings file and show how it matches the catalogue; nothing is
    written until the preview is confirmed."""
    data = uploaded_file()
    return jsonify(preview_json(make_preview(g.account.id, data, chosen_format()), g.account.id))


@bp.post("/import/<import_id>")
@token_required
def import_confirm(import_id: str):
    """Confirm a preview: optional JSON `{"overwrite": false, "choices": {"<line>": movie_id|null}}`."""
    body = json_body() if request.content_length else {}
    overwrite = body.get("overwrite", False)
    if not isinstance(overwrite, bool):
        raise ApiError(400, "invalid_parameter", "overwrite must be true or false")
    return jsonify(confirm_preview(g.account.id, import_id[:100], _json_choices(body.get("choices")), overwrite))


# The two routes in /api/openapi.json (webapp/api/openapi.py spreads this into its paths).
_COUNT = {"type": "integer", "minimum": 0}
OPENAPI_PATHS = {
    "/api/import": {"post": {
        "summary": "preview an import of a Letterboxd or IMDb ratings.csv (nothing written yet)",
        "security": [{"bearer": []}],
        "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": ["file"], "properties": {
                "file": {"type": "string", "contentMediaType": "text/csv",
                         "description": f"UTF-8 CSV, at most {MAX_MB} MB and {user_import.MAX_ROWS} ratings"},
                "format": {"type": "string", "enum": list(user_import.FORMATS),
                           "description": "read from the header when left out"}}}}}},
        "responses": {"200": {"description": "the preview", "content": {"application/json": {"schema": {
            "type": "object", "required": ["import_id", "format", "matched", "ambiguous", "unmatched", "rows"],
            "properties": {
                "import_id": {"type": "string"}, "format": {"type": "string", "enum": list(user_import.FORMATS)},
                **{status: _COUNT for status in user_import.STATUSES},
                "rows": {"type": "array", "items": {"type": "object", "properties": {
                    "line": {"type": "integer"}, "title": {"type": "string"},
                    "year": {"type": ["integer", "null"]}, "rating": {"type": ["number", "null"]},
                    "status": {"type": "string", "enum": list(user_import.STATUSES)},
                    "movie": {"oneOf": [{"$ref": "#/components/schemas/Movie"}, {"type": "null"}]},
                    "candidates": {"type": "array", "items": {"$ref": "#/components/schemas/Movie"}},
                    "note": {"type": ["string", "null"]},
                    "rated_here": {"type": ["number", "null"],
                                   "description": "my rating of the film on this site, kept unless overwrite"}}}}}}}}},
            **{str(s): {"$ref": "#/components/responses/Error"} for s in (400, 401, 413)}}}},
    "/api/import/{import_id}": {"post": {
        "summary": "confirm an import preview: every rating written in one transaction",
        "security": [{"bearer": []}],
        "parameters": [{"name": "import_id", "in": "path", "required": True, "schema": {"type": "string"}}],
        "requestBody": {"required": False, "content": {"application/json": {"schema": {
            "type": "object", "properties": {
                "overwrite": {"type": "boolean", "default": False,
                              "description": "imported ratings replace the ones made here"},
                "choices": {"type": "object", "additionalProperties": {"type": ["integer", "null"]},
                            "description": "ambiguous line -> the movie id meant, or null to skip"}}}}}},
        "responses": {"200": {"description": "done", "content": {"application/json": {"schema": {
            "type": "object", "required": ["imported", "updated", "unchanged"],
            "properties": {"imported": _COUNT, "updated": _COUNT, "unchanged": _COUNT}}}}},
            **{str(s): {"$ref": "#/components/responses/Error"} for s in (400, 401, 404, 413)}}}},
}
