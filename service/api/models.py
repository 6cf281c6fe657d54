"""Model versions, retraining jobs and activation."""

from __future__ import annotations

from flask import Blueprint, g, request, url_for

from model import ModelLoadError, ModelStore
from moderation.keys import MODERATOR
from service.auth import require_key
from service.errors import ApiError, invalid_fields, not_found
from service.extensions import active_model, job_runner, store
from service.schemas import request_body

bp = Blueprint("models", __name__, url_prefix="/v1")
SUMMARY_KEYS = ("version", "created_at", "libraries", "training_data", "metrics", "thresholds", "sources", "gate")


def _models() -> ModelStore:
    return active_model().store


@bp.get("/models")
@require_key(MODERATOR)
def list_models():
    """Every stored version with its manifest; the active one is marked."""
    active = _models().active_version()
    versions = [{**{k: m.get(k) for k in SUMMARY_KEYS}, "active": m["version"] == active}
                for m in _models().versions()]
    serving = active_model().get()
    return {"active_version": active, "serving_version": serving.version if serving else None, "versions": versions}


@bp.post("/models")
@require_key(MODERATOR)
def train():
    """Start a training job on training_data/ plus every label; 202 with the job."""
    body = request_body() if request.get_data(cache=True) else {}
    activate = body.get("activate", False)
    if not isinstance(activate, bool):
        raise invalid_fields({"activate": ["Must be true or false."]})
    job = store().create_job("train", {"activate": activate}, g.api_key.id)
    job_runner().start_training(job["id"])
    return {"job": job}, 202, {"Location": url_for("models.get_job", job_id=job["id"])}


@bp.get("/jobs/<job_id>")
@require_key(MODERATOR)
def get_job(job_id: str):
    """A job's status (queued, running, succeeded, failed) and, when done, its result."""
    job = store().get_job(job_id)
    if job is None:
        raise not_found(f"No job has the id {job_id!r}.")
    return job


@bp.post("/models/<version>/activate")
@require_key(MODERATOR)
def activate(version: str):
    """Serve this version from now on (also how to roll back); every worker follows within seconds."""
    previous = _models().active_version()
    if version not in {m["version"] for m in _models().versions()}:
        raise not_found(f"No model version {version!r} is in the model store.")
    try:
        _models().activate(version)
    except ModelLoadError as error:
        raise ApiError(409, "Conflict", f"Version {version} cannot be activated: {error}",
                       slug="model-refused") from None
    store().audit(g.api_key.id, "model.activate", version, {"previous": previous})
    active_model().load()
    return {"active_version": version, "previous_version": previous}

