"""Failed logins counted in a sliding window, per account and per client address; sign-ups per
client address alike.

Kept in the store (table `login_attempts`) so that every gunicorn worker sees the same count:
a limit held in one worker's memory would multiply by the number of workers. Only failures are
recorded, so people who type their password right are never slowed down. No Flask here."""
from __future__ import annotations

import math
import time
import unicodedata
from dataclasses import dataclass

import sqlite_utils

from recommender import store

KEEP_SECONDS = 24 * 3600  # older rows are deleted as new ones come in


@dataclass(frozen=True)
class Limit:
    """At most `attempts` failures per `window` seconds for one key."""
    attempts: int
    window: float


def account_key(username: object) -> str | None:
    """The key of the account a login names (any case, any Unicode form), or None if it names none."""
    if not isinstance(username, str) or not username.strip() or len(username) > 100:
        return None
    name = unicodedata.normalize("NFKC", username.strip()).casefold()
    return "account:" + name.encode("utf-8", "replace").decode("utf-8")


def address_key(address: str | None) -> str:
    return f"address:{address or 'unknown'}"


def signup_key(address: str | None) -> str:
    """Sign-ups are counted per address in the same table: each costs a password hash."""
    return f"signup:{address or 'unknown'}"


def retry_after(db: sqlite_utils.Database, key: str, limit: Limit, now: float | None = None) -> int:
    """Seconds until `key` may try again: 0 while it is under its limit."""
    now = time.time() if now is None else now
    # the limit-th newest failure in the window: once it ages out, the key is under its limit again
    row = db.execute("SELECT at FROM login_attempts WHERE key = ? AND at > ? ORDER BY at DESC LIMIT 1 OFFSET ?",
                     (key, now - limit.window, limit.attempts - 1)).fetchone()
    return 0 if row is None else max(1, math.ceil(row[0] + limit.window - now))


def record_attempt(db: sqlite_utils.Database, keys: list[str], now: float | None = None) -> None:
    """Count one attempt (a failed login, a sign-up) against every key, and forget those older than a day."""
    now = time.time() if now is None else now
    with store.write_transaction(db) as conn:
        conn.execute("DELETE FROM login_attempts WHERE at < ?", (now - KEEP_SECONDS,))
        conn.executemany("INSERT INTO login_attempts (key, at) VALUES (?, ?)", [(k, now) for k in keys])
