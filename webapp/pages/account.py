"""`/account`: take my data away (`/account/export?format=json|csv`). Session-authenticated."""
from flask import render_template
from flask_login import current_user, login_required

from ..api.export import export_format, export_response
from . import bp


@bp.get("/account")
@login_required
def account():
    """Export links and the password change."""
    return render_template("account.html", error=None)


@bp.get("/account/export")
@login_required
def account_export():
    """My ratings, watchlist and hidden films as a JSON download, or my ratings as a Letterboxd
    ratings.csv (`?format=csv`); 400 for another format."""
    return export_response(current_user.account, export_format())

