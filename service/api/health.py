"""Liveness and readiness probes."""

from __future__ import annotations

from flask import Blueprint

from service.errors import ApiError
from service.extensions import active_model, store

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """The process is alive."""
    return {"status": "ok"}


@bp.get("/readyz")
def readyz():
    """Ready only when a model is loaded and the database answers."""
    loaded = active_model().get()
    problems = {}
    if loaded is None:
        problems["model"] = [active_model().error or "No model is loaded."]
    if not store().ping():
        problems["database"] = ["The database is not reachable."]
    if problems:
        raise ApiError(503, "Service Unavailable", "The service is not ready.", errors=problems,
                       slug="not-ready")
    return {"status": "ready", "model_version": loaded.version}
