"""Storage of comments and their decisions, through SQLAlchemy (SQLite by default, PostgreSQL in production)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, Index, String, Text, create_engine, event, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from moderation.policy import Decision
from moderation.validation import CommentInput


class StoreUnavailable(Exception):
    """The database could not complete an operation; callers answer 503 rather than guess."""


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


def isoformat(moment: datetime) -> str:
    """RFC 3339 in UTC with a Z suffix (SQLite hands back naive datetimes, which are UTC here)."""
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
    ip: Mapped[str] = mapped_column(String(45), default="")
    user_agent: Mapped[str] = mapped_column(String(1000), default="")
    referrer: Mapped[str] = mapped_column(String(2048), default="")
    spam_score: Mapped[float] = mapped_column(Float)
    toxicity_score: Mapped[float] = mapped_column(Float)
    scores: Mapped[dict] = mapped_column(JSON)
    decision: Mapped[str] = mapped_column(String(10))
    reasons: Mapped[list] = mapped_column(JSON)
    model_version: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_comments_status_created", "status", "created_at"),)

    def as_dict(self) -> dict[str, Any]:
        """The API representation of a stored comment."""
        return {
            "id": self.id,
            "name": self.name,
            "email": self.email,
            "comment": self.comment,
            "url": self.url,
            "article_url": self.article_url,
            "article_id": self.article_id,
            "parent_id": self.parent_id,
            "ip": self.ip,
            "user_agent": self.user_agent,
            "referrer": self.referrer,
            "decision": self.decision,
            "status": self.status,
            "scores": self.scores,
            "reasons": self.reasons,
            "model_version": self.model_version,
            "created_at": isoformat(self.created_at),
            "updated_at": isoformat(self.updated_at),
        }


def _enable_sqlite_wal(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for url; SQLite gets WAL mode and a busy timeout so several workers can share it."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 10, "check_same_thread": False})
        _enable_sqlite_wal(engine)
        return engine
    return create_engine(url, pool_pre_ping=True)


class Store:
    """The comments repository."""

    def __init__(self, url: str):
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    def create_schema(self) -> None:
        """Create missing tables (idempotent)."""
        try:
            Base.metadata.create_all(self.engine)
        except Exception as error:
            raise StoreUnavailable(f"could not create the schema: {error}") from error

    def ping(self) -> bool:
        """Whether the database answers a trivial query."""
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    def _session(self) -> Session:
        return self.sessions()

    def save_comment(self, comment: CommentInput, decision: Decision) -> dict[str, Any]:
        """Store a comment with its decision in one transaction and return its API representation."""
        now = utcnow()
        record = CommentRecord(
            id=uuid.uuid4().hex, **comment.as_dict(),
            spam_score=decision.scores["spam"], toxicity_score=decision.scores["toxicity"],
            scores=decision.scores, decision=decision.decision,
            reasons=[r.as_dict() for r in decision.reasons], model_version=decision.model_version,
            status=decision.status, created_at=now, updated_at=now,
        )
        try:
            with self._session() as session, session.begin():
                session.add(record)
        except Exception as error:
            raise StoreUnavailable(f"could not store the comment: {type(error).__name__}") from error
        return record.as_dict()

    def get_comment(self, comment_id: str) -> dict[str, Any] | None:
        """A stored comment by id, or None."""
        try:
            with self._session() as session:
                record = session.scalar(select(CommentRecord).where(CommentRecord.id == comment_id))
                return record.as_dict() if record else None
        except Exception as error:
            raise StoreUnavailable(f"could not read the comment: {type(error).__name__}") from error
