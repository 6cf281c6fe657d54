"""The database tables (SQLAlchemy 2 ORM): comments, labels, the audit log and training jobs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


def isoformat(moment: datetime | None) -> str | None:
    """RFC 3339 in UTC with a Z suffix (SQLite hands back naive datetimes, which are UTC here)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Base(DeclarativeBase):
    """The declarative base for every table."""


class CommentRecord(Base):
    """One submitted comment, its scores, the decision and where review has taken it since."""

    __tablename__ = "comments"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(320), index=True)
    comment: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(String(2048), default="")
    article_url: Mapped[str] = mapped_column(String(2048), default="")
    article_id: Mapped[str] = mapped_column(String(200), default="", index=True)
    parent_id: Mapped[str] = mapped_column(String(200), default="")
    ip: Mapped[str] = mapped_column(String(45), default="", index=True)
    user_agent: Mapped[str] = mapped_column(String(1000), default="")
    referrer: Mapped[str] = mapped_column(String(2048), default="")
    spam_score: Mapped[float] = mapped_column(Float)
    toxicity_score: Mapped[float] = mapped_column(Float)
    # A hash of the normalised text, for the duplicate rule.
    text_hash: Mapped[str] = mapped_column(String(64), default="", index=True)
    # How close the scores are to a coin toss: 1 is maximally uncertain. The queue sorts on it.
    uncertainty: Mapped[float] = mapped_column(Float, default=0.0)
    # The labels that drove a hold or reject, as ",spam,toxicity," so any database can filter with LIKE.
    flags: Mapped[str] = mapped_column(String(200), default=",")
    scores: Mapped[dict] = mapped_column(JSON)
    decision: Mapped[str] = mapped_column(String(10))
    reasons: Mapped[list] = mapped_column(JSON)
    model_version: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(10))
    review: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_comments_status_created", "status", "created_at", "id"),
        Index("ix_comments_status_uncertainty", "status", "uncertainty", "id"),
    )

    def as_dict(self) -> dict[str, Any]:
        """The API representation of a stored comment."""
        return {
            "id": self.id, "name": self.name, "email": self.email, "comment": self.comment, "url": self.url,
            "article_url": self.article_url, "article_id": self.article_id, "parent_id": self.parent_id,
            "ip": self.ip, "user_agent": self.user_agent, "referrer": self.referrer,
            "decision": self.decision, "status": self.status, "scores": self.scores, "reasons": self.reasons,
            "model_version": self.model_version, "review": self.review,
            "created_at": isoformat(self.created_at), "updated_at": isoformat(self.updated_at),
        }


class LabelRecord(Base):
    """A labelled example from a moderator's review, feedback, a protocol endpoint or an import."""

    __tablename__ = "labels"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    comment_id: Mapped[str | None] = mapped_column(String(32), nullable=True, unique=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    email: Mapped[str] = mapped_column(String(320), default="")
    url: Mapped[str] = mapped_column(String(2048), default="")
    comment: Mapped[str] = mapped_column(Text)
    spam: Mapped[bool] = mapped_column(Boolean)
    toxic: Mapped[bool] = mapped_column(Boolean)
    category: Mapped[str | None] = mapped_column(String(20), nullable=True)
    source: Mapped[str] = mapped_column(String(20), index=True)
    # Held out of training for ever and used to judge new models (decided by a hash of the text).
    evaluation: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AuditEvent(Base):
    """Who did what, when: reviews, feedback, model training and activation."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(64), index=True)
    details: Mapped[dict] = mapped_column(JSON)

    def as_dict(self) -> dict[str, Any]:
        """The API representation of an audit event."""
        return {"id": self.id, "at": isoformat(self.at), "actor": self.actor, "action": self.action,
                "target": self.target, "details": self.details}


class JobRecord(Base):
    """A training job: queued, running, succeeded or failed, with its result."""

    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10))
    request: Mapped[dict] = mapped_column(JSON)
    result: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    def as_dict(self) -> dict[str, Any]:
        """The API representation of a job."""
        return {"id": self.id, "kind": self.kind, "status": self.status, "request": self.request,
                "result": self.result, "error": self.error, "created_by": self.created_by,
                "created_at": isoformat(self.created_at), "started_at": isoformat(self.started_at),
                "finished_at": isoformat(self.finished_at)}


class RuleEntryRecord(Base):
    """One entry of a moderator-managed list: words, domains or authors."""

    __tablename__ = "rule_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(10))
    action: Mapped[str] = mapped_column(String(10))
    match: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(String(500))
    note: Mapped[str] = mapped_column(String(500), default="")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    def as_dict(self) -> dict[str, Any]:
        """The API representation of an entry."""
        return {"id": self.id, "kind": self.kind, "action": self.action, "match": self.match, "value": self.value,
                "note": self.note, "created_by": self.created_by, "created_at": isoformat(self.created_at)}


class RuleSettingsRecord(Base):
    """The rule settings, one JSON document (only the keys a moderator changed; the rest are defaults)."""

    __tablename__ = "rule_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    values: Mapped[dict] = mapped_column(JSON)
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
