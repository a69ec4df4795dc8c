"""`/register`, `/login`, `/logout`: browser sessions through Flask-Login, every form CSRF-checked."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from recommender.store import accounts

from .db import get_db
from .errors import ApiError
from .security import log_in, log_out, safe_next
from .throttle import check_login_allowed, check_signup_allowed, record_login_failure, record_signup

bp = Blueprint("auth", __name__)


FIELD_OF = {"invalid_username": "username", "username_taken": "username",
            "weak_password": "password", "invalid_password": "password"}


@bp.route("/register", methods=["GET", "POST"])
def register():
    """Sign up, log in at once, and go rate a few movies so the feed has something to go on.
    Every problem is named at once, each under the field it is about."""
    if request.method == "GET":
        return render_template("register.html", username="", error=None, problems={})
    username, password = request.form.get("username", ""), request.form.get("password", "")
    problems = {FIELD_OF.get(exc.code, "password"): f"Check the {exc}."
                for exc in accounts.sign_up_problems(username, password)}
    if password != request.form.get("confirm", ""):
        problems["confirm"] = "The two passwords differ."
    status = 400
    if not problems:  # the limit guards the slow hash: a form with problems costs none
        try:
            check_signup_allowed()
        except ApiError as exc:
            return render_template("register.html", username=username, error=exc.message, problems={}), \
                exc.status, exc.headers
        try:
            account = accounts.create(get_db(), username, password)
        except accounts.AccountError as exc:  # taken meanwhile, or a rule the store keeps
            taken = exc.code == "username_taken"
            problems = {FIELD_OF.get(exc.code, "username"): "That username is taken." if taken else f"Check the {exc}."}
            status = 409 if taken else 400
    if problems:  # all at once: fixing one should not reveal the next
        # each problem is said under its field; the summary says where to look, once
        summary = "Fix what is marked below." if len(problems) > 1 else "Fix the field marked below."
        return render_template("register.html", username=username, problems=problems, error=summary), status
    record_signup()
    log_in(account)
    return redirect(url_for("pages.onboarding"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Log in, then back to where the visitor was going (on this site only); 429 with Retry-After
    after too many failures for the account or from the address."""
    target = safe_next(request.values.get("next"), url_for("pages.feed"))
    if request.method == "GET":
        return render_template("login.html", username="", next=target, error=None)
    username = request.form.get("username", "")
    try:
        check_login_allowed(username)
    except ApiError as exc:
        return render_template("login.html", username=username, next=target, error=exc.message), \
            exc.status, exc.headers
    account = accounts.authenticate(get_db(), username, request.form.get("password", ""))
    if account is None:
        record_login_failure(username)
        return render_template("login.html", username=username, next=target,
                               error="Wrong username or password."), 401
    log_in(account, remember=bool(request.form.get("remember")))
    return redirect(target)


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    """POST (with its CSRF token) logs out; GET only shows the button, so a link cannot log you out."""
    if request.method == "GET":
        return render_template("logout.html")
    if current_user.is_authenticated:
        log_out(current_user)
        flash("You are logged out.")
    return redirect(url_for("pages.index"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """A new password ends every login and API token of the account; this browser stays logged in
    with a fresh login."""
    if request.method == "GET":
        return render_template("password.html", error=None, field=None)
    new = request.form.get("new_password", "")
    error, field = None, None  # what is wrong, and the field it is about (marked and focused)
    if new != request.form.get("confirm", ""):
        error, field = "The two new passwords differ.", "confirm"
    else:
        try:
            accounts.change_password(get_db(), current_user.account, request.form.get("current_password", ""), new)
        except accounts.AccountError as exc:
            wrong = exc.code == "wrong_password"
            error = "Your current password is wrong." if wrong else f"Check the {exc}."
            field = "current_password" if wrong else "new_password"
    if error:
        return render_template("password.html", error=error, field=field), 400
    account = current_user.account
    log_out(current_user)  # its login is already gone with all the others
    log_in(account)
    flash("Your password is changed. Every other browser and API token has been logged out.")
    return redirect(url_for("pages.feed"))
