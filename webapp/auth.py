"""`/register`, `/login`, `/logout`: browser sessions through Flask-Login, every form CSRF-checked."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from recommender import accounts

from .db import get_db
from .errors import ApiError
from .security import User, safe_next
from .throttle import check_login_allowed, record_login_failure

bp = Blueprint("auth", __name__)


@bp.route("/register", methods=["GET", "POST"])
def register():
    """Sign up, log in at once, and go rate a few movies so the feed has something to go on."""
    if request.method == "GET":
        return render_template("register.html", username="", error=None)
    username, password = request.form.get("username", ""), request.form.get("password", "")
    error = None
    if password != request.form.get("confirm", ""):
        error = "The two passwords differ."
    else:
        try:
            account = accounts.create(get_db(), username, password)
        except accounts.AccountError as exc:
            error = "That username is taken." if exc.code == "username_taken" else f"Check the {exc}."
    if error:
        status = 409 if error.startswith("That username") else 400
        return render_template("register.html", username=username, error=error), status
    login_user(User(account))
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
    login_user(User(account), remember=bool(request.form.get("remember")))
    return redirect(target)


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    """POST (with its CSRF token) logs out; GET only shows the button, so a link cannot log you out."""
    if request.method == "GET":
        return render_template("logout.html")
    if current_user.is_authenticated:
        logout_user()
        flash("You are logged out.")
    return redirect(url_for("pages.index"))
