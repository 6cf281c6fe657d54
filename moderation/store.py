"""The repository: comments, labels, the audit log and jobs, through SQLAlchemy.

SQLite (WAL mode) by default, PostgreSQL in production. Every method is one transaction; any database
failure becomes StoreUnavailable so that callers answer 503 instead of guessing.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import wraps
from typing import Any

from sqlalchemy import and_, create_engine, event, func, inspect, or_, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import sessionmaker

from model import Example
from moderation.policy import Decision
from moderation.rules import (
    History,
    ListEntry,
    RuleSettings,
    apply_settings,
    normalized_entry_value,
    text_fingerprint,
)
from moderation.tables import (
    AuditEvent,
    Base,
    CommentRecord,
    JobRecord,
    LabelRecord,
    RuleEntryRecord,
    RuleSettingsRecord,
    isoformat,
    utcnow,
)
from moderation.validation import CommentInput, Labels, Review

__all__ = ["QueueQuery", "Store", "StoreUnavailable", "isoformat", "utcnow"]

REVIEW_STATUS = {"approve": "accepted", "reject": "rejected"}
EVALUATION_SHARE = 0.2
QUEUE_ORDERS = ("newest", "oldest", "uncertain")
RECENT_SPAM_LIMIT = 200


class StoreUnavailable(Exception):
    """The database could not complete an operation; callers answer 503 rather than guess."""


class NotFound(Exception):
    """No row has that id."""


class BadCursor(ValueError):
    """A pagination cursor that this store did not make."""


def _guarded(method):
    @wraps(method)
    def wrapper(*args, **kwargs):
        try:
            return method(*args, **kwargs)
        except SQLAlchemyError as error:
            raise StoreUnavailable(f"{method.__name__} failed: {type(error).__name__}") from error

    return wrapper


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


def _add_column_sql(table: str, column, dialect) -> str:
    """ALTER TABLE ... ADD COLUMN for a column added to the model after the table was created."""
    sql = f'ALTER TABLE {table} ADD COLUMN {column.name} {column.type.compile(dialect)}'
    default = column.default.arg if column.default is not None else None
    if isinstance(default, str):
        sql += " DEFAULT '" + default.replace("'", "''") + "'"
    elif isinstance(default, int | float) and not isinstance(default, bool):
        sql += f" DEFAULT {default}"
    return sql


def uncertainty(scores: dict[str, float]) -> float:
    """1 when a label's score is a coin toss, 0 when every label is certain."""
    return max(1 - abs(2 * scores[label] - 1) for label in ("spam", "toxicity"))


def is_evaluation_text(comment: str, share: float = EVALUATION_SHARE) -> bool:
    """Whether a labelled text belongs to a held-out evaluation set; a stable hash decides, so the same
    text is held out in every training run."""
    digest = hashlib.sha256(" ".join(comment.lower().split()).encode()).digest()
    return int.from_bytes(digest[:4], "big") < share * 2**32


@dataclass(frozen=True)
class QueueQuery:
    """Filters, order and page of the review queue."""

    status: str = "held"
    label: str | None = None
    article_id: str | None = None
    email: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    order: str = "newest"
    limit: int = 50
    cursor: str | None = None


def _encode_cursor(values: list) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> list:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except ValueError:
        raise BadCursor("not a cursor from this queue") from None
    if not isinstance(values, list) or len(values) != 2:
        raise BadCursor("not a cursor from this queue")
    return values


class Store:
    """The repository behind the API."""

    def __init__(self, url: str):
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @_guarded
    def create_schema(self) -> None:
        """Create missing tables, columns and indexes (idempotent), so an older database keeps working."""
        Base.metadata.create_all(self.engine)
        inspector = inspect(self.engine)
        with self.engine.begin() as connection:
            for table in Base.metadata.sorted_tables:
                existing = {column["name"] for column in inspector.get_columns(table.name)}
                for column in table.columns:
                    if column.name not in existing:
                        connection.execute(text(_add_column_sql(table.name, column, self.engine.dialect)))
                for index in table.indexes:
                    index.create(connection, checkfirst=True)

    def ping(self) -> bool:
        """Whether the database answers a trivial query."""
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            return True
        except SQLAlchemyError:
            return False

    # Comments

    @_guarded
    def save_comment(self, comment: CommentInput, decision: Decision) -> dict[str, Any]:
        """Store a comment with its decision in one transaction and return its API representation."""
        now = utcnow()
        flagged = {r.details.get("label") for r in decision.reasons if r.action != "accept" and not r.shadow} - {None}
        record = CommentRecord(
            id=uuid.uuid4().hex, **comment.as_dict(),
            spam_score=decision.scores["spam"], toxicity_score=decision.scores["toxicity"],
            uncertainty=uncertainty(decision.scores), text_hash=text_fingerprint(comment.comment),
            flags="," + "".join(f"{f}," for f in sorted(flagged)),
            scores=decision.scores, decision=decision.decision,
            reasons=[r.as_dict() for r in decision.reasons], model_version=decision.model_version,
            status=decision.status, review=None, created_at=now, updated_at=now,
        )
        with self.sessions.begin() as session:
            session.add(record)
        return record.as_dict()

    def _record_as_dict(self, record_class, key) -> dict[str, Any] | None:
        with self.sessions() as session:
            record = session.get(record_class, key)
            return record.as_dict() if record else None

    @_guarded
    def get_comment(self, comment_id: str) -> dict[str, Any] | None:
        """A stored comment by id, or None."""
        return self._record_as_dict(CommentRecord, comment_id)

    @_guarded
    def queue(self, query: QueueQuery) -> tuple[list[dict[str, Any]], str | None]:
        """A page of comments for review, each with its author's history, and the cursor of the next page."""
        columns = {"newest": (CommentRecord.created_at, True), "oldest": (CommentRecord.created_at, False),
                   "uncertain": (CommentRecord.uncertainty, True)}
        column, descending = columns[query.order]
        statement = select(CommentRecord).where(CommentRecord.status == query.status)
        if query.label:
            statement = statement.where(CommentRecord.flags.like(f"%,{query.label},%"))
        if query.article_id:
            statement = statement.where(CommentRecord.article_id == query.article_id)
        if query.email:
            statement = statement.where(func.lower(CommentRecord.email) == query.email.lower())
        if query.since:
            statement = statement.where(CommentRecord.created_at >= query.since)
        if query.until:
            statement = statement.where(CommentRecord.created_at < query.until)
        if query.cursor:
            value, last_id = _decode_cursor(query.cursor)
            if column is CommentRecord.created_at:
                try:
                    value = datetime.fromisoformat(value)
                except (TypeError, ValueError):
                    raise BadCursor("not a cursor from this queue") from None
            beyond = column < value if descending else column > value
            tie = CommentRecord.id < last_id if descending else CommentRecord.id > last_id
            statement = statement.where(or_(beyond, and_(column == value, tie)))
        order = (column.desc(), CommentRecord.id.desc()) if descending else (column.asc(), CommentRecord.id.asc())
        statement = statement.order_by(*order).limit(query.limit + 1)
        with self.sessions() as session:
            records = list(session.scalars(statement))
            page, more = records[: query.limit], len(records) > query.limit
            history = self._author_history(session, {r.email for r in page})
        items = [{**r.as_dict(), "author_history": history[r.email]} for r in page]
        next_cursor = None
        if more:
            last = page[-1]
            key = last.created_at.isoformat() if column is CommentRecord.created_at else last.uncertainty
            next_cursor = _encode_cursor([key, last.id])
        return items, next_cursor

    @staticmethod
    def _author_history(session, emails: Iterable[str]) -> dict[str, dict[str, int]]:
        """Counts of accepted, held and rejected comments per email, as email-validator normalised it
        (so that the email index serves the query)."""
        emails = set(emails)
        if not emails:
            return {}
        rows = session.execute(
            select(CommentRecord.email, CommentRecord.status, func.count())
            .where(CommentRecord.email.in_(emails))
            .group_by(CommentRecord.email, CommentRecord.status)
        )
        history = {e: {"accepted": 0, "held": 0, "rejected": 0} for e in emails}
        for email, status, count in rows:
            history[email][status] = count
        return history

    @_guarded
    def find_comment(self, email: str, comment: str, within_days: int = 30) -> dict[str, Any] | None:
        """The newest stored comment with this email and the same normalised text, if recent."""
        since = utcnow() - timedelta(days=within_days)
        with self.sessions() as session:
            record = session.scalar(
                select(CommentRecord).where(CommentRecord.email == email,
                                            CommentRecord.text_hash == text_fingerprint(comment),
                                            CommentRecord.created_at >= since)
                .order_by(CommentRecord.created_at.desc()).limit(1))
            return record.as_dict() if record else None

    @_guarded
    def review(self, comment_id: str, review: Review, actor: str) -> tuple[dict[str, Any], str]:
        """Apply a moderator's review: status, audit event and training label, in one transaction.

        Returns the updated comment and its previous status.
        """
        now = utcnow()
        with self.sessions.begin() as session:
            record = session.get(CommentRecord, comment_id, with_for_update=True)
            if record is None:
                raise NotFound(comment_id)
            previous = record.status
            record.status = REVIEW_STATUS[review.action]
            record.review = {"action": review.action, "labels": review.labels.as_dict(), "note": review.note,
                             "by": actor, "at": isoformat(now), "previous_status": previous}
            record.updated_at = now
            # A moderator's labels flag the comment too, so rules such as near-duplicate spam can find it.
            flagged = {*record.flags.strip(",").split(","), *(["spam"] if review.labels.spam else []),
                       *(["toxicity"] if review.labels.toxic else [])} - {""}
            record.flags = "," + "".join(f"{f}," for f in sorted(flagged))
            label = session.scalar(select(LabelRecord).where(LabelRecord.comment_id == comment_id))
            if label is None:
                label = LabelRecord(comment_id=comment_id, name=record.name, email=record.email, url=record.url,
                                    comment=record.comment, source="review",
                                    evaluation=is_evaluation_text(record.comment), created_at=now)
                session.add(label)
            label.spam, label.toxic = review.labels.spam, review.labels.toxic
            label.category = review.labels.category
            label.created_by = actor
            session.add(AuditEvent(at=now, actor=actor, action="comment.review", target=comment_id,
                                   details={**record.review, "status": record.status}))
            return record.as_dict(), previous

    # Labels

    @_guarded
    def add_label(self, comment: CommentInput | dict, labels: Labels, source: str, actor: str,
                  comment_id: str | None = None) -> int:
        """Store one labelled example (feedback, protocol endpoints, imports) and audit it."""
        fields = comment.as_dict() if isinstance(comment, CommentInput) else comment
        now = utcnow()
        with self.sessions.begin() as session:
            label = None
            if comment_id is not None:
                label = session.scalar(select(LabelRecord).where(LabelRecord.comment_id == comment_id))
            if label is None:
                label = LabelRecord(comment_id=comment_id, name=fields.get("name", ""), email=fields.get("email", ""),
                                    url=fields.get("url", ""), comment=fields["comment"],
                                    evaluation=is_evaluation_text(fields["comment"]), created_at=now)
                session.add(label)
            label.spam, label.toxic, label.category = labels.spam, labels.toxic, labels.category
            label.source, label.created_by = source, actor
            session.flush()
            session.add(AuditEvent(at=now, actor=actor, action="label.add", target=str(label.id),
                                   details={"source": source, "labels": labels.as_dict(), "comment_id": comment_id}))
            return label.id

    @_guarded
    def add_labels(self, rows: list[tuple[dict, Labels]], source: str, actor: str) -> int:
        """Store many labelled examples in one transaction (imports); returns how many."""
        now = utcnow()
        with self.sessions.begin() as session:
            session.add_all([
                LabelRecord(name=fields.get("name", ""), email=fields.get("email", ""), url=fields.get("url", ""),
                            comment=fields["comment"], spam=labels.spam, toxic=labels.toxic,
                            category=labels.category, source=source, evaluation=is_evaluation_text(fields["comment"]),
                            created_by=actor, created_at=now)
                for fields, labels in rows
            ])
            session.add(AuditEvent(at=now, actor=actor, action="label.import", target=source,
                                   details={"count": len(rows)}))
        return len(rows)

    @_guarded
    def labelled_examples(self, weight: float) -> tuple[list[Example], list[Example]]:
        """Every stored label as (training examples, held-out evaluation examples)."""
        with self.sessions() as session:
            records = list(session.scalars(select(LabelRecord).order_by(LabelRecord.id)))
        train, evaluation = [], []
        for r in records:
            example = Example(comment=r.comment, name=r.name, email=r.email, url=r.url, spam=int(r.spam),
                              toxic=int(r.toxic), category=r.category if r.toxic else None,
                              weight=weight, source=f"labels/{r.source}")
            (evaluation if r.evaluation else train).append(example)
        return train, evaluation

    # Audit

    @_guarded
    def audit(self, actor: str, action: str, target: str, details: dict) -> None:
        """Record an event."""
        with self.sessions.begin() as session:
            session.add(AuditEvent(at=utcnow(), actor=actor, action=action, target=target, details=details))

    @_guarded
    def audit_events(self, target: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """The newest audit events, optionally for one target."""
        statement = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
        if target:
            statement = statement.where(AuditEvent.target == target)
        with self.sessions() as session:
            return [e.as_dict() for e in session.scalars(statement)]

    # Jobs

    @_guarded
    def create_job(self, kind: str, request: dict, actor: str) -> dict[str, Any]:
        """A new queued job."""
        job = JobRecord(id=uuid.uuid4().hex, kind=kind, status="queued", request=request, created_by=actor,
                        created_at=utcnow())
        with self.sessions.begin() as session:
            session.add(job)
            session.add(AuditEvent(at=job.created_at, actor=actor, action=f"job.{kind}", target=job.id,
                                   details=request))
        return job.as_dict()

    @_guarded
    def update_job(self, job_id: str, status: str, result: dict | None = None, error: str | None = None) -> None:
        """Move a job to running, succeeded or failed."""
        with self.sessions.begin() as session:
            job = session.get(JobRecord, job_id)
            if job is None:
                raise NotFound(job_id)
            job.status = status
            if status == "running":
                job.started_at = utcnow()
            else:
                job.finished_at = utcnow()
                job.result, job.error = result, error

    @_guarded
    def get_job(self, job_id: str) -> dict[str, Any] | None:
        """A job by id, or None."""
        return self._record_as_dict(JobRecord, job_id)

    # Rules

    @_guarded
    def rule_config(self) -> tuple[RuleSettings, list[ListEntry]]:
        """The rule settings and every list entry."""
        with self.sessions() as session:
            row = session.get(RuleSettingsRecord, 1)
            records = session.scalars(select(RuleEntryRecord).order_by(RuleEntryRecord.id))
            entries = [ListEntry(id=r.id, kind=r.kind, action=r.action, value=r.value, match=r.match, note=r.note)
                       for r in records]
        return apply_settings(RuleSettings(), row.values if row else {}), entries

    @_guarded
    def update_rule_settings(self, changes: dict, actor: str) -> RuleSettings:
        """Apply validated setting changes and audit them."""
        now = utcnow()
        with self.sessions.begin() as session:
            row = session.get(RuleSettingsRecord, 1, with_for_update=True)
            if row is None:
                row = RuleSettingsRecord(id=1, values={}, updated_by=actor, updated_at=now)
                session.add(row)
            row.values = {**row.values, **changes}
            row.updated_by, row.updated_at = actor, now
            session.add(AuditEvent(at=now, actor=actor, action="rules.settings", target="rules", details=changes))
            return apply_settings(RuleSettings(), row.values)

    @_guarded
    def add_rule_entry(self, data: dict, actor: str) -> dict[str, Any]:
        """Add a validated list entry and audit it."""
        kind = data["kind"]
        match = data.get("match") or {"word": "word", "domain": "domain", "author": "email"}[kind]
        record = RuleEntryRecord(kind=kind, action=data["action"], match=match,
                                 value=normalized_entry_value(kind, match, data["value"]), note=data.get("note", ""),
                                 created_by=actor, created_at=utcnow())
        with self.sessions.begin() as session:
            session.add(record)
            session.flush()
            session.add(AuditEvent(at=record.created_at, actor=actor, action="rules.add", target=f"rule:{record.id}",
                                   details=record.as_dict()))
        return record.as_dict()

    @_guarded
    def delete_rule_entry(self, entry_id: int, actor: str) -> None:
        """Remove a list entry and audit it."""
        with self.sessions.begin() as session:
            record = session.get(RuleEntryRecord, entry_id)
            if record is None:
                raise NotFound(str(entry_id))
            details = record.as_dict()
            session.delete(record)
            session.add(AuditEvent(at=utcnow(), actor=actor, action="rules.delete", target=f"rule:{entry_id}",
                                   details=details))

    @_guarded
    def history(self, comment: CommentInput, settings: RuleSettings) -> History:
        """The commenter's record and recent activity, for the history rules (a few indexed queries).

        Emails are compared as email-validator normalised them, so the email index serves every query.
        """
        now = utcnow()
        same_email = CommentRecord.email == comment.email
        with self.sessions() as session:
            history = History(**self._author_history(session, [comment.email])[comment.email])
            if settings.duplicate_window_minutes:
                history.duplicate_of = session.scalar(
                    select(CommentRecord.id).where(
                        same_email, CommentRecord.text_hash == text_fingerprint(comment.comment),
                        CommentRecord.created_at >= now - timedelta(minutes=settings.duplicate_window_minutes))
                    .limit(1))
            recent = CommentRecord.created_at >= now - timedelta(minutes=1)
            history.recent_by_author = session.scalar(select(func.count()).select_from(CommentRecord)
                                                      .where(same_email, recent))
            if comment.ip:
                by_ip = session.scalar(select(func.count()).select_from(CommentRecord)
                                       .where(CommentRecord.ip == comment.ip, recent))
                history.recent_by_author = max(history.recent_by_author, by_ip)
            if settings.near_duplicate_days:
                rows = session.execute(
                    select(CommentRecord.id, CommentRecord.comment)
                    .where(CommentRecord.status == "rejected", CommentRecord.flags.like("%,spam,%"),
                           CommentRecord.email != comment.email,
                           CommentRecord.created_at >= now - timedelta(days=settings.near_duplicate_days))
                    .order_by(CommentRecord.created_at.desc()).limit(RECENT_SPAM_LIMIT))
                history.recent_spam = [(row.id, row.comment) for row in rows]
        return history

    @_guarded
    def stats(self, days: int) -> dict[str, Any]:
        """Decisions and reason codes (live and shadow) over the last `days` days."""
        since = utcnow() - timedelta(days=days)
        decisions, live, shadow = Counter(), Counter(), Counter()
        with self.sessions() as session:
            rows = session.execute(select(CommentRecord.decision, CommentRecord.reasons)
                                   .where(CommentRecord.created_at >= since).limit(100_000))
            for decision, reasons in rows:
                decisions[decision] += 1
                for reason in reasons:
                    (shadow if reason.get("shadow") else live)[f"{reason['code']}:{reason['action']}"] += 1
        return {"days": days, "comments": sum(decisions.values()), "decisions": dict(decisions),
                "reasons": dict(live), "shadow_reasons": dict(shadow)}
