"""Sign-up and bearer tokens for scripts: `POST /api/users`, `POST /api/token`, `DELETE /api/token`,
and deleting the account: `DELETE /api/account`."""
from flask import g, jsonify

from recommender.store import accounts

from ..db import get_db
from ..errors import ApiError
from ..security import token_required
from ..throttle import check_login_allowed, check_signup_allowed, record_login_failure, record_signup
from . import bp, json_body


@bp.post("/users")
def create_user():
    """201 with the new account; 409 when the name is taken (any case); 400 when weak or malformed
    (said before any limit: checking costs nothing); 429 with Retry-After after too many
    sign-ups from the address."""
    body = json_body()
    problems = accounts.sign_up_problems(body.get("username"), body.get("password"))
    if problems:
        raise ApiError(400, problems[0].code, str(problems[0]))
    check_signup_allowed()
    try:
        account = accounts.create(get_db(), body.get("username"), body.get("password"))
    except accounts.AccountError as exc:
        raise ApiError(409 if exc.code == "username_taken" else 400, exc.code, str(exc)) from None
    record_signup()
    return jsonify({"id": account.id, "username": account.username}), 201


@bp.post("/token")
def create_token():
    """A new token for a username and password; 401 when they do not match, 429 after too many
    failures for the account or from the address (with Retry-After)."""
    body = json_body()
    check_login_allowed(body.get("username"))
    account = accounts.authenticate(get_db(), body.get("username"), body.get("password"))
    if account is None:
        record_login_failure(body.get("username"))
        raise ApiError(401, "invalid_credentials", "wrong username or password")
    return jsonify({"token": accounts.issue_token(get_db(), account)})


@bp.delete("/token")
@token_required
def revoke_token():
    """Revokes the token this request was made with; it fails from the next request on."""
    accounts.revoke_token(get_db(), g.token)
    return "", 204


@bp.delete("/account")
@token_required
def delete_account():
    """204: the account and everything of it are gone (ratings, lists, every token and browser
    login), so this token is refused from the next request on. The password must be sent again:
    403 when it is wrong, counted like a failed login (429 with Retry-After after too many), so a
    stolen token cannot delete the account or guess its password."""
    password = json_body().get("password")
    if not isinstance(password, str) or not password:
        raise ApiError(400, "invalid_body", "send your password to delete the account: {\"password\": \"…\"}")
    check_login_allowed(g.account.username)
    try:
        accounts.delete(get_db(), g.account, password)
    except accounts.AccountError:
        record_login_failure(g.account.username)
        raise ApiError(403, "wrong_password", "the password is wrong: the account is not deleted") from None
    return "", 204
