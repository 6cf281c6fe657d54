"""The jobs repository, which is also the work queue: training runs and webhook deliveries, and how they ended.

A worker claims the oldest queued job that is due. On PostgreSQL the claim reads with FOR UPDATE SKIP LOCKED,
so workers never wait on each other's rows; on SQLite, which has one writer at a time, the conditional UPDATE
(queued -> running) is the claim. Either way a job is claimed by exactly one worker.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.engine import Connection, Row

from moderation.schemas import Job, JobStatus
from moderation.store.comments import NotFound
from moderation.store.db import as_utc, utcnow
from moderation.store.tables import jobs

TRAIN = "train"
WEBHOOK = "webhook"
ACTIVE = (JobStatus.QUEUED, JobStatus.RUNNING)


def _job(row: Row) -> Job:
    return Job(id=row.id, kind=row.kind, status=JobStatus(row.status), request=row.request, result=row.result,
               error=row.error, created_by=row.created_by, created_at=as_utc(row.created_at),
               started_at=as_utc(row.started_at), finished_at=as_utc(row.finished_at), attempts=row.attempts)


def create(connection: Connection, kind: str, request: dict[str, Any], actor: str, job_id: str | None = None) -> Job:
    """A new queued job (a second training job while one is queued or running breaks ux_jobs_one_training; a
    chosen job_id makes a second job of the same id fail to insert)."""
    job_id = job_id or uuid.uuid4().hex
    connection.execute(jobs.insert(), {"id": job_id, "kind": kind, "status": JobStatus.QUEUED, "request": request,
                                       "created_by": actor, "created_at": utcnow(), "attempts": 0})
    return get(connection, job_id)


def get(connection: Connection, job_id: str) -> Job | None:
    """A job by id, or None."""
    row = connection.execute(select(jobs).where(jobs.c.id == job_id)).first()
    return _job(row) if row else None


def active(connection: Connection, kind: str) -> Job | None:
    """The oldest queued or running job of a kind, if any."""
    row = connection.execute(select(jobs).where(jobs.c.kind == kind, jobs.c.status.in_(ACTIVE))
                             .order_by(jobs.c.created_at).limit(1)).first()
    return _job(row) if row else None


def pending(connection: Connection, kinds: Collection[str] | None = None) -> int:
    """How many jobs are queued or running (the queue depth)."""
    query = select(func.count()).select_from(jobs).where(jobs.c.status.in_(ACTIVE))
    if kinds is not None:
        query = query.where(jobs.c.kind.in_(list(kinds)))
    return connection.execute(query).scalar_one()


def claim(connection: Connection, kinds: Collection[str], worker: str, now: datetime | None = None) -> Job | None:
    """Take the oldest due queued job of these kinds for worker: it becomes running, with one more attempt."""
    now = now or utcnow()
    due = (select(jobs.c.id, jobs.c.attempts)
           .where(jobs.c.status == JobStatus.QUEUED, jobs.c.kind.in_(list(kinds)),
                  or_(jobs.c.run_after.is_(None), jobs.c.run_after <= now))
           .order_by(jobs.c.created_at).limit(1))
    if connection.dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    row = connection.execute(due).first()
    if row is None:
        return None
    claimed = connection.execute(
        jobs.update().where(jobs.c.id == row.id, jobs.c.status == JobStatus.QUEUED)
        .values(status=JobStatus.RUNNING, attempts=row.attempts + 1, worker=worker, started_at=now,
                heartbeat_at=now, error=None))
    return get(connection, row.id) if claimed.rowcount == 1 else None


def heartbeat(connection: Connection, job_id: str, worker: str) -> bool:
    """Record that worker still runs the job; False if the job is no longer its (taken back or finished)."""
    return connection.execute(
        jobs.update().where(jobs.c.id == job_id, jobs.c.worker == worker, jobs.c.status == JobStatus.RUNNING)
        .values(heartbeat_at=utcnow())).rowcount == 1


def finish(connection: Connection, job_id: str, status: JobStatus, result: dict | None = None,
           error: str | None = None) -> None:
    """End a job: succeeded (with its result) or failed (with the error)."""
    values = {"status": status, "finished_at": utcnow(), "result": result, "error": error, "run_after": None}
    if connection.execute(jobs.update().where(jobs.c.id == job_id).values(**values)).rowcount == 0:
        raise NotFound(job_id)


def retry(connection: Connection, job_id: str, run_after: datetime, error: str) -> None:
    """Put a job that failed this attempt back in the queue, due at run_after."""
    connection.execute(jobs.update().where(jobs.c.id == job_id).values(
        status=JobStatus.QUEUED, run_after=run_after, error=error, worker=None, heartbeat_at=None))


def abandoned(connection: Connection, stale_before: datetime) -> list[Job]:
    """Running jobs whose worker has not sent a heartbeat since stale_before (it died or was killed)."""
    rows = connection.execute(select(jobs).where(
        jobs.c.status == JobStatus.RUNNING,
        or_(jobs.c.heartbeat_at.is_(None), jobs.c.heartbeat_at < stale_before))).all()
    return [_job(row) for row in rows]
