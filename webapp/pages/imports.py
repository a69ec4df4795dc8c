"""`/import`: bring ratings from Letterboxd or IMDb. Upload the exported CSV (`POST /import`), see
which lines matched a film, which need a choice and which were not found, then confirm
(`POST /import/<import_id>`). The same reading, matching and writing as `POST /api/import`
(webapp/api/imports.py), with the session instead of a bearer token."""
from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..api import imports as api_import
from ..errors import ApiError
from ..security import csrf
from . import bp

SKIP = "skip"


def _page(preview: dict | None = None, error: str | None = None, status: int = 200):
    return render_template("import.html", preview=preview, error=error, skip=SKIP), status


@bp.get("/import")
@login_required
def import_page():
    """The upload form."""
    return _page()


@bp.post("/import")
@csrf.exempt  # checked below, once the form is read: the app-wide check would read it under the
@login_required  # 64 KB limit for ordinary forms, before api_import.uploaded_file() raises it for the file
def import_upload():
    """Read the uploaded file and show its preview (nothing written yet); the form again with
    the reason when the file cannot be imported."""
    try:
        data = api_import.uploaded_file()
        if current_app.config.get("WTF_CSRF_ENABLED", True):
            csrf.protect()
        preview = api_import.make_preview(current_user.id, data, api_import.chosen_format())
    except ApiError as exc:
        return _page(error=exc.message, status=exc.status)
    return _page(preview=api_import.preview_json(preview, current_user.id))


@bp.post("/import/<import_id>")
@login_required
def import_confirm(import_id: str):
    """Write the previewed ratings with the choices made for ambiguous lines (`choice-<line>`:
    a movie id or "skip"); ratings made here stay unless `overwrite` is ticked."""
    choices = {}
    for name, value in request.form.items():
        line = name.removeprefix("choice-")
        if line != name and line.isdigit() and len(line) <= 9:
            choices[int(line)] = None if value == SKIP else int(value) if value.isdigit() and len(value) <= 18 else -1
    try:
        done = api_import.confirm_preview(current_user.id, import_id[:100], choices, request.form.get("overwrite") == "on")
    except ApiError as exc:
        return _page(error=exc.message, status=exc.status)
    flash(f"Imported {done['imported']} ratings, updated {done['updated']}, "
          f"{done['unchanged']} unchanged.")
    return redirect(url_for("pages.ratings"))
