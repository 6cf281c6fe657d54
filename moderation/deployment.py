"""Moderators' actions on models: queue a training job, activate (or roll back to) a version. Each is audited;
the API and the dashboard both call these."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from model import ModelStore
from moderation.active_model import ActiveModel
from moderation.jobs import JobRunner
from moderation.schemas import Activation, Job, TrainIn
from moderation.store import Database, NotFound, StoreUnavailable
from moderation.store import audit as audit_repo
from moderation.store import jobs as jobs_repo


class AlreadyTraining(Exception):
    """Another training job is queued or running: one at a time (each costs minutes of CPU and hundreds of MB)."""

    def __init__(self, job_id: str):
        super().__init__(job_id)
        self.job_id = job_id


def queue_training(database: Database, runner: JobRunner, options: TrainIn, actor: str) -> Job:
    """Queue a training job and audit it, and wake whatever runs jobs; returns the queued job, or raises
    AlreadyTraining with the one that is queued or running."""
    try:
        with database.transaction() as connection:
            running = jobs_repo.active(connection, jobs_repo.TRAIN)
            if running is None:
                job = jobs_repo.create(connection, jobs_repo.TRAIN, options.model_dump(), actor)
                audit_repo.record(connection, actor, "job.train", job.id, options.model_dump())
    except StoreUnavailable as error:
        if not isinstance(error.__cause__, IntegrityError):
            raise
        # Another replica queued one between our read and our write; the unique index kept it to one.
        with database.reading() as connection:
            running = jobs_repo.active(connection, jobs_repo.TRAIN)
        if running is None:
            raise
    if running is not None:
        raise AlreadyTraining(running.id)
    runner.wake()
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
