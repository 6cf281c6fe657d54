"""The moderators' dashboard at /moderate: server-rendered pages over the same domain functions as the API."""

from __future__ import annotations

from flask import Flask

from service.dashboard import security
from service.dashboard.views import bp


def init_app(app: Flask) -> None:
    """Register the dashboard and its session settings."""
    security.init_app(app)
    app.register_blueprint(bp)
