"""Sessions for browsers (Flask-Login + CSRF on every form), bearer tokens for scripts.

The two never mix: the JSON API reads only `Authorization: Bearer`, never the session cookie,
so a page on another site cannot make a logged-in browser change anything through it; the
pages' own state-changing routes all go through CSRFProtect."""
from __future__ import annotations

from datetime import timedelta
from functools import wraps
from urllib.parse import urlsplit

from flask import Flask, current_app, g, redirect, request, session, url_for
from flask_login import LoginManager, UserMixin, login_user, logout_user
from flask_wtf.csrf import CSRFProtect

from recommender.store import accounts

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
    """The logged-in account as Flask-Login wants it. Its Flask-Login id, what the session and
    remember cookies carry, is the login's random token, not the account id: a cookie then
    names one login that the server can end, and differs at every login."""

    def __init__(self, account: accounts.Account, session_token: str):
        self.account = account
        self.id = account.id
        self.username = account.username
        self.session_token = session_token

    def get_id(self) -> str:
        return self.session_token


@login_manager.user_loader
def _load_user(session_token: str) -> User | None:
    """The cookie's login, or None once it has ended or expired (then the visitor is anonymous)."""
    account = accounts.account_for_session(get_db(), session_token)
    return User(account, session_token) if account else None


def log_in(account: accounts.Account, remember: bool = False) -> None:
    """Start a server-side login for this browser, in a fresh cookie session (no state, CSRF
    token included, carries over from before the login)."""
    lifetime = current_app.config["REMEMBER_COOKIE_DURATION"]
    token = accounts.start_session(get_db(), account, int(lifetime.total_seconds()))
    session.clear()
    login_user(User(account, token), remember=remember)


def log_out(user) -> None:
    """End this browser's login on the server, then drop its cookies."""
    if getattr(user, "session_token", None):
        accounts.end_session(get_db(), user.session_token)
    logout_user()
    session.clear()


@login_manager.unauthorized_handler
def _unauthorized():
    """fetch() calls get a 401 they can act on; people get the login page, then come back."""
    if wants_json():
        raise ApiError(401, "unauthorized", "log in first")
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def safe_next(target: str | None, default: str) -> str:
    """A redirect target on this site only (no open redirect through `?next=`), and one that can
    go into a Location header: no control characters (CR/LF would split the header) and no
    spaces, which a path made by this site never holds unescaped."""
    if (not target or not target.startswith("/") or target.startswith("//") or "\\" in target
            or len(target) > 2000 or any(ch <= " " or ch == "\x7f" for ch in target)):
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
    app.config.setdefault("REMEMBER_COOKIE_DURATION", timedelta(days=30))  # also a login's server-side life
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
