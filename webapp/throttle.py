"""Login rate limits for the login page and `POST /api/token`, sign-up limits for the register
page and `POST /api/users`: 429 with Retry-After when exceeded.

Failures are counted per account and per client address (recommender.store.login_attempts, in the
store, so shared by every worker). The check comes before the password is verified, so an
account under attack cannot be guessed at even with the right password until the window passes.
The address is the TCP peer: behind a reverse proxy, configure werkzeug's ProxyFix first.
Sign-ups from this machine itself (a loopback address: the operator's scripts, tests and
benchmarks signing up many accounts) are not limited unless SIGNUP_LIMIT_LOOPBACK is set."""
from __future__ import annotations

import ipaddress

from flask import current_app, request

from recommender.store import login_attempts
from recommender.store.login_attempts import Limit

from .db import get_db
from .errors import ApiError

DEFAULTS = {"LOGIN_LIMIT_PER_ACCOUNT": (10, 900), "LOGIN_LIMIT_PER_ADDRESS": (50, 900),
            "SIGNUP_LIMIT_PER_ADDRESS": (10, 3600), "SIGNUP_LIMIT_LOOPBACK": False}


def _raise_if_waiting(keys: list[tuple[str, Limit]], what: str) -> None:
    wait = max(login_attempts.retry_after(get_db(), key, limit) for key, limit in keys)
    if wait:
        raise ApiError(429, "too_many_attempts", f"too many {what}; try again in {wait} s",
                       {"Retry-After": str(wait)})


def _limits(username: object) -> list[tuple[str, Limit]]:
    """(key, limit) for the client address, and for the named account when there is one."""
    config = current_app.config
    keys = [(login_attempts.address_key(request.remote_addr), Limit(*config["LOGIN_LIMIT_PER_ADDRESS"]))]
    account = login_attempts.account_key(username)
    if account:
        keys.append((account, Limit(*config["LOGIN_LIMIT_PER_ACCOUNT"])))
    return keys


def check_login_allowed(username: object) -> None:
    """Raise ApiError(429) with Retry-After when the address or the account has failed too often."""
    _raise_if_waiting(_limits(username), "failed logins")


def record_login_failure(username: object) -> None:
    """Count a failed login against the address and the account."""
    login_attempts.record_attempt(get_db(), [key for key, _ in _limits(username)])


def _signup_limit() -> tuple[str, Limit]:
    return (login_attempts.signup_key(request.remote_addr),
            Limit(*current_app.config["SIGNUP_LIMIT_PER_ADDRESS"]))


def _signups_limited() -> bool:
    """Whether this request's address is held to SIGNUP_LIMIT_PER_ADDRESS: every address but
    this machine's own, unless SIGNUP_LIMIT_LOOPBACK."""
    if current_app.config["SIGNUP_LIMIT_LOOPBACK"]:
        return True
    try:
        return not ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:  # no address, or not an IP (a unix socket): held to the limit
        return True


def check_signup_allowed() -> None:
    """Raise ApiError(429) with Retry-After once the address has signed up too often: every
    sign-up costs a deliberately slow password hash, and accounts are free to make."""
    if _signups_limited():
        _raise_if_waiting([_signup_limit()], "sign-ups from your address")


def record_signup() -> None:
    """Count a sign-up attempt that got as far as hashing a password."""
    if _signups_limited():
        login_attempts.record_attempt(get_db(), [_signup_limit()[0]])


def init_app(app) -> None:
    for name, value in DEFAULTS.items():
        app.config.setdefault(name, value)
