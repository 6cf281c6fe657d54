"""Model versions, retraining jobs and activation."""

from __future__ import annotations

from flask import Blueprint, g, url_for

from model import ModelLoadError, ModelStore
from moderation.deployment import AlreadyTraining, activate_version, queue_training
from moderation.keys import MODERATOR
from moderation.schemas import Activation, Job, JobAccepted, ModelVersion, ModelVersions, TrainIn
from moderation.store import NotFound
from moderation.store import jobs as jobs_repo
from service.errors import ApiError, not_found
from service.extensions import active_model, database, job_runner
from service.operations import operation

bp = Blueprint("models", __name__, url_prefix="/v1")


def _models() -> ModelStore:
    return active_model().store


def _version(manifest: dict, active: str | None) -> ModelVersion:
    return ModelVersion(version=manifest["version"], created_at=manifest["created_at"],
                        libraries=manifest.get("libraries", {}), training_data=manifest.get("training_data", {}),
                        metrics=manifest.get("metrics", {}), thresholds=manifest.get("thresholds", {}),
                        sources=manifest.get("sources"), gate=manifest.get("gate"),
                        active=manifest["version"] == active)


@bp.get("/models")
@operation(key=MODERATOR, responses={200: ModelVersions}, tags=["models"])
def list_models():
    """Every stored version with its manifest; the active one is marked."""
    active = _models().active_version()
    serving = active_model().get()
    return ModelVersions(active_version=active, serving_version=serving.version if serving else None,
                         versions=[_version(m, active) for m in _models().versions()])


def _already_training(job_id: str) -> ApiError:
    return ApiError(409, "Conflict", f"A training job is already queued or running: {job_id}. Wait for it "
                    "(GET the Location) and train again if its result is not what you need.",
                    slug="training-in-progress", headers={"Location": url_for("models.get_job", job_id=job_id)})


@bp.post("/models")
@operation(key=MODERATOR, body=TrainIn, body_required=False, responses={202: JobAccepted}, errors=(409, 503),
           tags=["models"])
def train(body: TrainIn):
    """Queue a training job on training_data/ plus every label; 202 with the job, 409 while another one is
    queued or running (one at a time: each costs minutes of CPU and hundreds of MB)."""
    try:
        job = queue_training(database(), job_runner(), body, g.api_key.id)
    except AlreadyTraining as running:
        raise _already_training(running.job_id) from None
    return JobAccepted(job=job), 202, {"Location": url_for("models.get_job", job_id=job.id)}


@bp.get("/jobs/<job_id>")
@operation(key=MODERATOR, responses={200: Job}, errors=(404, 503), tags=["models"])
def get_job(job_id: str):
    """A job's status (queued, running, succeeded, failed) and, when done, its result."""
    with database().reading() as connection:
        job = jobs_repo.get(connection, job_id)
    if job is None:
        raise not_found(f"No job has the id {job_id!r}.")
    return job


@bp.post("/models/<version>/activate")
@operation(key=MODERATOR, responses={200: Activation}, errors=(404, 409, 503), tags=["models"])
def activate(version: str):
    """Serve this version from now on (also how to roll back); every worker follows within seconds."""
    try:
        return activate_version(database(), active_model(), version, g.api_key.id)
    except NotFound:
        raise not_found(f"No model version {version!r} is in the model store.") from None
    except ModelLoadError as error:
        raise ApiError(409, "Conflict", f"Version {version} cannot be activated: {error}",
                       slug="model-refused") from None
