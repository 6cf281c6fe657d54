"""The jobs repository: background jobs (training) and how they ended."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection, Row

from moderation.schemas import Job, JobStatus
from moderation.store.comments import NotFound
from moderation.store.db import as_utc, utcnow
from moderation.store.tables import jobs


def _job(row: Row) -> Job:
    return Job(id=row.id, kind=row.kind, status=JobStatus(row.status), request=row.request, result=row.result,
               error=row.error, created_by=row.created_by, created_at=as_utc(row.created_at),
               started_at=as_utc(row.started_at), finished_at=as_utc(row.finished_at))


def create(connection: Connection, kind: str, request: dict[str, Any], actor: str, job_id: str | None = None) -> Job:
    """A new queued job (job_id: a chosen id, which makes a second job of the same id fail to insert)."""
    job_id = job_id or uuid.uuid4().hex
    connection.execute(jobs.insert(), {"id": job_id, "kind": kind, "status": JobStatus.QUEUED, "request": request,
                                       "created_by": actor, "created_at": utcnow()})
    return get(connection, job_id)


def get(connection: Connection, job_id: str) -> Job | None:
    """A job by id, or None."""
    row = connection.execute(select(jobs).where(jobs.c.id == job_id)).first()
    return _job(row) if row else None


def set_status(connection: Connection, job_id: str, status: JobStatus, result: dict | None = None,
               error: str | None = None) -> None:
    """Move a job to running, succeeded or failed."""
    values: dict[str, Any] = {"status": status}
    if status == JobStatus.RUNNING:
        values["started_at"] = utcnow()
    else:
        values.update(finished_at=utcnow(), result=result, error=error)
    if connection.execute(jobs.update().where(jobs.c.id == job_id).values(**values)).rowcount == 0:
        raise NotFound(job_id)
