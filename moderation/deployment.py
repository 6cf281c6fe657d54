"""Moderators' actions on models: queue a training job, activate (or roll back to) a version. Each is audited;
the API and the dashboard both call these."""

from __future__ import annotations

from model import ModelStore
from moderation.active_model import ActiveModel
from moderation.jobs import JobRunner
from moderation.schemas import Activation, Job, TrainIn
from moderation.store import Database, NotFound
from moderation.store import audit as audit_repo
from moderation.store import jobs as jobs_repo


def queue_training(database: Database, runner: JobRunner, options: TrainIn, actor: str) -> Job:
    """Queue a training job, audit it and start it in the background; returns the queued job."""
    with database.transaction() as connection:
        job = jobs_repo.create(connection, "train", options.model_dump(), actor)
        audit_repo.record(connection, actor, "job.train", job.id, options.model_dump())
    runner.start_training(job.id)
    return job


def activate_version(database: Database, active: ActiveModel, version: str, actor: str) -> Activation:
    """Serve version from now on (also how to roll back); raises NotFound, or ModelLoadError when the version
    fails its checks (the previous one keeps serving)."""
    models: ModelStore = active.store
    previous = models.active_version()
    if version not in {m["version"] for m in models.versions()}:
        raise NotFound(version)
    models.activate(version)
    with database.transaction() as connection:
        audit_repo.record(connection, actor, "model.activate", version, {"previous": previous})
    active.load()
    return Activation(active_version=version, previous_version=previous)
