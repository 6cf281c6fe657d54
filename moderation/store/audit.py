"""The audit repository: who did what, when."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from moderation.schemas import AuditEvent
from moderation.store.db import as_utc, utcnow
from moderation.store.tables import audit_log


def record(connection: Connection, actor: str, action: str, target: str, details: dict[str, Any]) -> None:
    """Record an event (details must be JSON-serialisable)."""
    connection.execute(audit_log.insert(), {"at": utcnow(), "actor": actor, "action": action, "target": target,
                                            "details": details})


def recent(connection: Connection, target: str | None = None, limit: int = 100,
           actions: Collection[str] = ()) -> list[AuditEvent]:
    """The newest events, optionally for one target and of some actions only."""
    statement = select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
    if target:
        statement = statement.where(audit_log.c.target == target)
    if actions:
        statement = statement.where(audit_log.c.action.in_(actions))
    return [AuditEvent(id=row.id, at=as_utc(row.at), actor=row.actor, action=row.action, target=row.target,
                       details=row.details) for row in connection.execute(statement)]
