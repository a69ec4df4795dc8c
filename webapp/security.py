"""Sessions for browsers (Flask-Login + CSRF on every form), bearer tokens for scripts.

The two never mix: the JSON API reads only `Authorization: Bearer`, never the session cookie,
so a page on another site cannot make a logged-in browser change anything through it; the
pages' own state-changing routes all go through CSRFProtect."""
from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from flask import Flask, g, redirect, request, url_for
from flask_login import LoginManager, UserMixin
from flask_wtf.csrf import CSRFProtect

from recommender import accounts

from .db import get_db
from .errors import ApiError, wants_json

login_manager = LoginManager()
csrf = CSRFProtect()

_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; "
                               "base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
}


class User(UserMixin):
    """The logged-in account as Flask-Login wants it."""

    def __init__(self, account: accounts.Account):
        self.account = account
        self.id = account.id
        self.username = account.username


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    """The session's user, or None once the account is gone (then the session is anonymous)."""
    account = accounts.get(get_db(), int(user_id)) if user_id.isdigit() else None
    return User(account) if account else None


@login_manager.unauthorized_handler
def _unauthorized():
    """fetch() calls get a 401 they can act on; people get the login page, then come back."""
    if wants_json():
        raise ApiError(401, "unauthorized", "log in first")
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def safe_next(target: str | None, default: str) -> str:
    """A redirect target on this site only (no open redirect through `?next=`)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    parts = urlsplit(target)
    return default if parts.scheme or parts.netloc else target


def token_required(view):
    """API views: the account behind a live bearer token, as `g.account`, else 401."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        account = accounts.account_for_token(get_db(), token.strip()) if scheme.lower() == "bearer" else None
        if account is None:
            raise ApiError(401, "unauthorized", "send 'Authorization: Bearer <token>' (POST /api/token)",
                           {"WWW-Authenticate": 'Bearer realm="api"'})
        g.account, g.token = account, token.strip()
        return view(*args, **kwargs)
    return wrapper


def _cookie_defaults(app: Flask) -> None:
    """HttpOnly and SameSite=Lax always; Secure from config (on whenever served over HTTPS)."""
    if not app.config.get("SESSION_COOKIE_SAMESITE"):
        app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config.setdefault("REMEMBER_COOKIE_SAMESITE", app.config["SESSION_COOKIE_SAMESITE"])
    app.config.setdefault("REMEMBER_COOKIE_SECURE", bool(app.config.get("SESSION_COOKIE_SECURE")))
    app.config["REMEMBER_COOKIE_HTTPONLY"] = True


def init_app(app: Flask) -> None:
    """Cookie settings, Flask-Login, CSRFProtect, and the security headers on every response."""
    _cookie_defaults(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    csrf.init_app(app)

    @app.after_request
    def _security_headers(response):
        for name, value in _HEADERS.items():
            response.headers.setdefault(name, value)
        return response
