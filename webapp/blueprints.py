"""Registers the web layer on the app: login and CSRF extensions, then pages, auth and the API."""
from flask import Flask

from . import api, auth, pages, security


def init_app(app: Flask) -> None:
    """Called once from create_app."""
    security.init_app(app)
    app.register_blueprint(pages.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(api.bp)
    security.csrf.exempt(api.bp)  # bearer tokens only: see webapp/api/__init__.py
