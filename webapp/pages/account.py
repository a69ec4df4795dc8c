"""`/account`: take my data away (`/account/export?format=json|csv`) or delete the account
(`POST /account/delete`, the password typed again). Session-authenticated; the delete form is
CSRF-checked, and a wrong password counts as a failed login."""
from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, logout_user

from recommender.store import accounts

from ..api.export import export_format, export_response
from ..db import get_db
from ..errors import ApiError
from ..throttle import check_login_allowed, record_login_failure
from . import bp


@bp.get("/account")
@login_required
def account():
    """Export links, the password change, and the form that deletes the account."""
    return render_template("account.html", error=None)


@bp.get("/account/export")
@login_required
def account_export():
    """My ratings, watchlist and hidden films as a JSON download, or my ratings as a Letterboxd
    ratings.csv (`?format=csv`); 400 for another format."""
    return export_response(current_user.account, export_format())


@bp.post("/account/delete")
@login_required
def delete_account():
    """Delete the account and everything of it after the password is typed again, then log out
    (the login itself is gone with the account); 400 with no password typed, 403 on a wrong
    one, 429 after too many."""
    password = request.form.get("password", "")
    if not password:  # nothing typed is no guess: asked for, not counted as a failed login
        return render_template("account.html", error="Type your password to delete your account: "
                                                     "it is not deleted."), 400
    try:
        check_login_allowed(current_user.username)
    except ApiError as exc:
        return render_template("account.html", error=exc.message), exc.status, exc.headers
    try:
        accounts.delete(get_db(), current_user.account, password)
    except accounts.AccountError:
        record_login_failure(current_user.username)
        return render_template("account.html", error="That password is wrong: your account is not deleted."), 403
    name = current_user.username
    logout_user()
    session.clear()
    flash(f"The account {name} is deleted, with its ratings, lists and logins.")
    return redirect(url_for("pages.index"))
