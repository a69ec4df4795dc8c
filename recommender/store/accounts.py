"""Accounts that can log in, their browser sessions, and API tokens. No Flask here: the web layer
maps errors to statuses.

Usernames are unique without regard to case (also for non-ASCII letters, which SQLite's NOCASE
does not fold), passwords are stored as werkzeug scrypt hashes, and session and API tokens only
as their sha256: a stolen database cannot be replayed against the site. Passwords that appear in
breach lists or are easy to guess (zxcvbn, which ships the list) are refused."""
from __future__ import annotations

import hashlib
import re
import secrets
import sqlite3
import time
import unicodedata
from dataclasses import dataclass

import sqlite_utils
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn

from recommender import store
from recommender.store import login_attempts

USERNAME_CHAR = r"[\w.-]"  # \w: unicode letters and digits, and "_"
USERNAME_RE = re.compile(USERNAME_CHAR + "{3,30}")
MIN_PASSWORD, MAX_PASSWORD = 8, 1024
MIN_GUESSABILITY_SCORE = 2  # zxcvbn's 0-4 scale: 0 and 1 are "too guessable" / "very guessable"
ZXCVBN_MAX_LENGTH = 72  # zxcvbn refuses longer input; the prefix is what it judges
ACCOUNT_ID_FLOOR = 1_000_000_000  # MovieLens user ids stay far below (ML-32M: 200,948 users)
# Checked against when the username is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not a real password")


class AccountError(ValueError):
    """Bad input for an account; `code` is machine-readable ("weak_password", "username_taken"…)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Account:
    """Someone who can log in (MovieLens's own users cannot)."""
    id: int
    username: str


def _is_text(value: object) -> bool:
    """A str that can be stored and hashed: JSON may carry lone surrogates ("\\ud800"), UTF-8 cannot."""
    if not isinstance(value, str):
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def normalize_username(username: object) -> str:
    """NFKC form, so the same name typed with composed or decomposed accents is one name."""
    if not _is_text(username):
        raise AccountError("invalid_username", "username must be a string")
    return unicodedata.normalize("NFKC", username.strip())


def _username_fault(name: str) -> str:
    """What is wrong with a username USERNAME_RE refuses, in words: a walkthrough was shown the
    rule again ("3 to 30 letters, digits…") whether the name was empty, short or had a space."""
    if not name:
        return "required (3 to 30 letters, digits, '.', '_' or '-')"
    others = sorted({ch for ch in name if not re.fullmatch(USERNAME_CHAR, ch)})
    if others:
        shown = ", ".join("a space" if ch.isspace() else f"'{ch}'" for ch in others)
        return f"only letters, digits, '.', '_' or '-' (not {shown})"
    return f"3 to 30 characters (this one has {len(name)})"


def sign_up_problems(username: object, password: object) -> list[AccountError]:
    """Every sign-up rule `username` and `password` break (the username's first, then the
    password's), shared by the API, which names the first, and the register page, which names
    them all at once."""
    problems = []
    try:
        name = normalize_username(username)
        if not USERNAME_RE.fullmatch(name):
            raise AccountError("invalid_username", f"username: {_username_fault(name)}")
    except AccountError as exc:
        problems.append(exc)
        name = username if isinstance(username, str) else ""
    try:
        check_password(name, password)
    except AccountError as exc:
        problems.append(exc)
    return problems


def check_password(username: str, password: object) -> None:
    """AccountError("weak_password") for a password that is too short or long, equal to the
    username, on the breach lists zxcvbn ships, or guessable by its estimate (sequences,
    repeats, keyboard walks, dictionary words with the usual substitutions)."""
    if not _is_text(password):  # missing or not a string: a malformed request, not a weak password
        raise AccountError("invalid_password", "password: required, as text")
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise AccountError("weak_password", f"password: at least {MIN_PASSWORD} characters")
    if password.casefold() == username.casefold():
        raise AccountError("weak_password", "password: must not be your username")
    verdict = zxcvbn(password[:ZXCVBN_MAX_LENGTH], user_inputs=[username])
    if verdict["score"] < MIN_GUESSABILITY_SCORE:
        raise AccountError("weak_password", "password: too common or too easy to guess; "
                                            "a few unrelated words make a strong one")


def _casefold_fn(db: sqlite_utils.Database) -> None:
    """Python's casefold inside SQL: NOCASE folds only ASCII, and usernames may be any alphabet."""
    db.register_function(lambda s: s.casefold() if isinstance(s, str) else s,
                         deterministic=True, replace=True, name="py_casefold")


def _row_by_name(db: sqlite_utils.Database, username: str):
    """(id, username, password_hash) of the account with this name in any case, or None."""
    _casefold_fn(db)
    return db.execute(
        "SELECT id, username, password_hash FROM users "
        "WHERE username IS NOT NULL AND (username = ? OR py_casefold(username) = ?)",
        (username, username.casefold())).fetchone()


def create(db: sqlite_utils.Database, username: object, password: object) -> Account:
    """A new account with an id above every existing one, every one given before (a deleted
    account's id is never reused) and at least ACCOUNT_ID_FLOOR, so a later import of a bigger
    MovieLens release does not find its user ids taken. One statement picks the id and inserts,
    so two concurrent sign-ups cannot pick the same one."""
    problems = sign_up_problems(username, password)
    if problems:
        raise problems[0]
    name = normalize_username(username)
    if _row_by_name(db, name):
        raise AccountError("username_taken", "that username is taken")
    password_hash = generate_password_hash(password)  # the slow part, before the write lock
    try:
        with store.write_transaction(db) as conn:
            cursor = conn.execute(
                "INSERT INTO users (id, username, password_hash, created_at) "
                "SELECT max(coalesce(max(id) + 1, 0), ?, "
                "(SELECT coalesce(max(highest) + 1, 0) FROM account_ids_given)), ?, ?, ? FROM users",
                (ACCOUNT_ID_FLOOR, name, password_hash, int(time.time())))
    except sqlite3.IntegrityError:  # a concurrent sign-up took the name first
        raise AccountError("username_taken", "that username is taken") from None
    return Account(int(cursor.lastrowid), name)


def authenticate(db: sqlite_utils.Database, username: object, password: object) -> Account | None:
    """The account when the password matches, else None (same cost either way)."""
    if not _is_text(username) or not _is_text(password) or len(password) > MAX_PASSWORD:
        return None
    row = _row_by_name(db, normalize_username(username)) if len(username) <= 100 else None
    if row is None or not row[2]:
        check_password_hash(_DUMMY_HASH, password)
        return None
    return Account(row[0], row[1]) if check_password_hash(row[2], password) else None


def get(db: sqlite_utils.Database, user_id: int) -> Account | None:
    """An account by id; MovieLens users without a login are not accounts."""
    if not isinstance(user_id, int) or not 0 < user_id < 2**63:
        return None
    row = db.execute("SELECT id, username FROM users WHERE id = ? AND username IS NOT NULL",
                     (user_id,)).fetchone()
    return Account(*row) if row else None


def _digest(token: str) -> str:
    """What the database keeps of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(db: sqlite_utils.Database, account: Account, lifetime_seconds: int) -> str:
    """A new browser login: the random token its cookies carry (only the hash is stored).
    Expired logins of every account are cleared on the way."""
    token, now = secrets.token_urlsafe(32), int(time.time())
    with store.write_transaction(db) as conn:
        conn.execute("DELETE FROM web_sessions WHERE expires_at < ?", (now,))
        cursor = conn.execute("INSERT INTO web_sessions (token_hash, user_id, created_at, expires_at) "
                              "VALUES (?, ?, ?, ?)", (_digest(token), account.id, now, now + lifetime_seconds))
        store.expect_one_change(cursor, "new login")
    return token


def account_for_session(db: sqlite_utils.Database, token: object) -> Account | None:
    """The owner of a browser login that has not ended or expired."""
    if not isinstance(token, str) or not token or len(token) > 200:
        return None
    row = db.execute(
        "SELECT u.id, u.username FROM web_sessions s JOIN users u ON u.id = s.user_id "
        "WHERE s.token_hash = ? AND s.expires_at >= ? AND u.username IS NOT NULL",
        (_digest(token), int(time.time()))).fetchone()
    return Account(*row) if row else None


def end_session(db: sqlite_utils.Database, token: str) -> bool:
    """Log one browser out on the server: its cookies stop working at once."""
    with store.write_transaction(db) as conn:
        return conn.execute("DELETE FROM web_sessions WHERE token_hash = ?", (_digest(token),)).rowcount == 1


def change_password(db: sqlite_utils.Database, account: Account, current: object, new: object) -> None:
    """Set a new password after checking the current one; every browser login and API token of
    the account ends (whoever knew the old password may have used it)."""
    if authenticate(db, account.username, current) is None:
        raise AccountError("wrong_password", "the current password is wrong")
    check_password(account.username, new)
    password_hash = generate_password_hash(new)
    with store.write_transaction(db) as conn:
        cursor = conn.execute("UPDATE users SET password_hash = ? WHERE id = ? AND username IS NOT NULL",
                              (password_hash, account.id))
        store.expect_one_change(cursor, "new password")
        conn.execute("DELETE FROM web_sessions WHERE user_id = ?", (account.id,))
        conn.execute("UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
                     (int(time.time()), account.id))


# Everything of an account, children first (the foreign keys would cascade, but each table is
# named so a new one cannot be forgotten by accident: tests/test_account_delete.py checks them).
# Ratings go one by one through the ratings_stats_delete trigger, so the films' averages stay right.
_DELETE_ACCOUNT = (
    "DELETE FROM ratings WHERE user_id = ?",
    "DELETE FROM hidden WHERE user_id = ?",
    "DELETE FROM watchlist WHERE user_id = ?",
    "DELETE FROM import_previews WHERE user_id = ?",
    "DELETE FROM api_tokens WHERE user_id = ?",
    "DELETE FROM web_sessions WHERE user_id = ?",
)


def delete(db: sqlite_utils.Database, account: Account, password: object) -> None:
    """Delete the account after checking its password (AccountError("wrong_password") if it is
    wrong): its ratings, hidden films, watchlist, API tokens and browser logins go with it, in one
    transaction, and its failed-login records too. The username is free again at once."""
    if authenticate(db, account.username, password) is None:
        raise AccountError("wrong_password", "the password is wrong")
    with store.write_transaction(db) as conn:
        for statement in _DELETE_ACCOUNT:
            conn.execute(statement, (account.id,))
        conn.execute("DELETE FROM login_attempts WHERE key = ?", (login_attempts.account_key(account.username),))
        cursor = conn.execute("DELETE FROM users WHERE id = ? AND username IS NOT NULL", (account.id,))
        store.expect_one_change(cursor, "deleting the account")


def issue_token(db: sqlite_utils.Database, account: Account) -> str:
    """A new bearer token; only its hash is stored, so it is shown exactly once."""
    token = secrets.token_urlsafe(32)
    with store.write_transaction(db) as conn:
        cursor = conn.execute("INSERT INTO api_tokens (user_id, token_hash, created_at) VALUES (?, ?, ?)",
                              (account.id, _digest(token), int(time.time())))
        store.expect_one_change(cursor, "new API token")
    return token


def account_for_token(db: sqlite_utils.Database, token: str) -> Account | None:
    """The owner of a live (not revoked) token."""
    if not token or len(token) > 200:
        return None
    row = db.execute(
        "SELECT u.id, u.username FROM api_tokens t JOIN users u ON u.id = t.user_id "
        "WHERE t.token_hash = ? AND t.revoked_at IS NULL AND u.username IS NOT NULL",
        (_digest(token),)).fetchone()
    return Account(*row) if row else None


def revoke_token(db: sqlite_utils.Database, token: str) -> bool:
    """Stop a token working at once; False when it was not live."""
    with store.write_transaction(db) as conn:
        return conn.execute("UPDATE api_tokens SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL",
                            (int(time.time()), _digest(token))).rowcount == 1
