"""The comments repository: stored comments, their reasons, the review queue, author history and stats.

Every function takes a connection, so that a caller can put several in one transaction.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

from pydantic import TypeAdapter
from sqlalchemy import and_, bindparam, case, func, or_, select
from sqlalchemy.engine import Connection, Row

from moderation.policy import Action, Decision, Label, Reason, Status, flagged
from moderation.prepared import PreparedComment
from moderation.rules import History, RecentSpam
from moderation.schemas import (
    AuthorHistory,
    DailyStats,
    QueueItem,
    QueueOrder,
    QueuePage,
    QueueQuery,
    ReviewIn,
    ReviewRecord,
    RuleSettings,
    Stats,
    StoredComment,
)
from moderation.store.db import as_utc, utcnow
from moderation.store.tables import comment_reasons, comments

_REASONS = TypeAdapter(list[Reason])
_REVIEW = TypeAdapter(ReviewRecord)
_C = comments.c


class NotFound(Exception):
    """No row has that id."""


class NotReviewed(Exception):
    """The comment has no review to undo."""


class BadCursor(ValueError):
    """A pagination cursor that this queue did not make."""


def uncertainty(scores: dict[str, float]) -> float:
    """1 when a label's score is a coin toss, 0 when every label is certain."""
    return max(1 - abs(2 * scores[label] - 1) for label in Label)


def _stored(row: Row) -> StoredComment:
    return StoredComment(
        id=row.id, name=row.name, email=row.email, comment=row.comment, url=row.url, article_url=row.article_url,
        article_id=row.article_id, parent_id=row.parent_id, ip=row.ip, user_agent=row.user_agent,
        referrer=row.referrer, decision=Action(row.decision), status=Status(row.status), scores=row.scores,
        reasons=_REASONS.validate_python(row.reasons), model_version=row.model_version,
        review=_REVIEW.validate_python(row.review) if row.review else None,
        created_at=as_utc(row.created_at), updated_at=as_utc(row.updated_at), language=row.language)


def insert(connection: Connection, prepared: PreparedComment, decision: Decision, *, ip: str) -> StoredComment:
    """Store a comment with its decision and one row per reason; ip is what to store for the commenter's address
    (see moderation.privacy.IpPolicy)."""
    now = utcnow()
    comment_id = uuid.uuid4().hex
    reasons = _REASONS.dump_python(decision.reasons, mode="json", exclude_none=True)
    fields = {**prepared.comment.stored_fields(), "ip": ip}
    connection.execute(comments.insert(), {
        "id": comment_id, **fields,
        "spam_score": decision.scores[Label.SPAM], "toxicity_score": decision.scores[Label.TOXICITY],
        "uncertainty": uncertainty(decision.scores), "text_hash": prepared.fingerprint,
        "flagged_spam": decision.flagged(Label.SPAM), "flagged_toxicity": decision.flagged(Label.TOXICITY),
        "scores": decision.scores, "decision": decision.decision, "reasons": reasons,
        "model_version": decision.model_version, "status": decision.status, "review": None,
        "language": prepared.language, "created_at": now, "updated_at": now,
    })
    connection.execute(comment_reasons.insert(), [
        {"comment_id": comment_id, "created_at": now, "code": r.code, "action": r.action, "shadow": r.shadow}
        for r in decision.reasons])
    return StoredComment(id=comment_id, **fields, decision=decision.decision, status=decision.status,
                         scores=decision.scores, reasons=decision.reasons, model_version=decision.model_version,
                         review=None, created_at=now, updated_at=now, language=prepared.language)


def get(connection: Connection, comment_id: str) -> StoredComment | None:
    """A stored comment by id, or None."""
    row = connection.execute(select(comments).where(_C.id == comment_id)).first()
    return _stored(row) if row else None


def _history_statement():
    # Built once: composing this expression costs more than running it.
    by_author = _C.email == bindparam("email")
    recent = _C.created_at >= bindparam("minute_ago")
    by_ip = and_(_C.ip == bindparam("ip"), _C.ip != "", recent)

    def count(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    duplicate = and_(by_author, _C.text_hash == bindparam("fingerprint"), _C.created_at >= bindparam("window_start"))
    return select(
        count(and_(by_author, _C.status == Status.ACCEPTED)).label("accepted"),
        count(and_(by_author, _C.status == Status.HELD)).label("held"),
        count(and_(by_author, _C.status == Status.REJECTED)).label("rejected"),
        func.max(case((duplicate, _C.id))).label("duplicate_of"),
        count(and_(by_author, recent)).label("recent_by_email"),
        count(by_ip).label("recent_by_ip"),
    ).where(or_(by_author, by_ip))


_HISTORY = _history_statement()


def history(connection: Connection, prepared: PreparedComment, settings: RuleSettings, *, ip: str) -> History:
    """The commenter's record and recent activity, in one indexed query: counts by status, a duplicate of the
    same text within the window, and comments in the last minute by email or by address (ip: the address as
    stored, a hash by default, so that equal addresses still match)."""
    now = utcnow()
    window = settings.duplicate_window_minutes
    row = connection.execute(_HISTORY, {
        "email": prepared.comment.email, "ip": ip, "fingerprint": prepared.fingerprint,
        "minute_ago": now - timedelta(minutes=1),
        # No window: a start in the future, which no comment matches.
        "window_start": now - timedelta(minutes=window) if window else now + timedelta(days=1),
    }).one()
    return History(accepted=row.accepted, held=row.held, rejected=row.rejected, duplicate_of=row.duplicate_of,
                   recent_by_author=max(row.recent_by_email, row.recent_by_ip))


def recent_spam(connection: Connection, days: int, limit: int) -> list[RecentSpam]:
    """The newest comments rejected as spam within days, for the near-duplicate rule."""
    if not days:
        return []
    rows = connection.execute(
        select(_C.id, _C.email, _C.comment)
        .where(_C.flagged_spam, _C.status == Status.REJECTED, _C.created_at >= utcnow() - timedelta(days=days))
        .order_by(_C.created_at.desc()).limit(limit))
    return [RecentSpam(id=row.id, email=row.email, comment=row.comment) for row in rows]


def find_by_fingerprint(connection: Connection, email: str, text_hash: str,
                        within_days: int = 30) -> StoredComment | None:
    """The newest stored comment with this email and the same normalised text, if recent."""
    row = connection.execute(
        select(comments).where(_C.email == email, _C.text_hash == text_hash,
                               _C.created_at >= utcnow() - timedelta(days=within_days))
        .order_by(_C.created_at.desc()).limit(1)).first()
    return _stored(row) if row else None


def author_histories(connection: Connection, emails: set[str]) -> dict[str, AuthorHistory]:
    """Counts of accepted, held and rejected comments per email, in one grouped query."""
    counts: dict[str, Counter] = {email: Counter() for email in emails}
    if emails:
        rows = connection.execute(select(_C.email, _C.status, func.count()).where(_C.email.in_(emails))
                                  .group_by(_C.email, _C.status))
        for email, status, number in rows:
            counts[email][status] = number
    return {email: AuthorHistory(accepted=c[Status.ACCEPTED], held=c[Status.HELD], rejected=c[Status.REJECTED])
            for email, c in counts.items()}


def _encode_cursor(key, last_id: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([key, last_id]).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, by_time: bool) -> tuple[datetime | float, str]:
    try:
        key, last_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(last_id, str):
            raise TypeError(last_id)
        if by_time:
            return datetime.fromisoformat(key), last_id
        if isinstance(key, bool) or not isinstance(key, int | float):
            raise TypeError(key)
        return float(key), last_id
    except (ValueError, TypeError):
        raise BadCursor("Not a cursor from this queue: send the next_cursor of the previous page.") from None


def queue(connection: Connection, query: QueueQuery) -> QueuePage:
    """A page of comments for review, each with its author's history, and the cursor of the next page."""
    by_time = query.order != QueueOrder.UNCERTAIN
    column = _C.created_at if by_time else _C.uncertainty
    descending = query.order != QueueOrder.OLDEST
    statement = select(comments).where(_C.status == query.status)
    if query.label:
        statement = statement.where(_C.flagged_spam if query.label == Label.SPAM else _C.flagged_toxicity)
    if query.article_id:
        statement = statement.where(_C.article_id == query.article_id)
    if query.email:
        statement = statement.where(func.lower(_C.email) == query.email.lower())
    if query.since:
        statement = statement.where(_C.created_at >= query.since)
    if query.until:
        statement = statement.where(_C.created_at < query.until)
    if query.cursor:
        value, last_id = _decode_cursor(query.cursor, by_time)
        beyond = column < value if descending else column > value
        tie = _C.id < last_id if descending else _C.id > last_id
        statement = statement.where(or_(beyond, and_(column == value, tie)))
    order = (column.desc(), _C.id.desc()) if descending else (column.asc(), _C.id.asc())
    rows = connection.execute(statement.order_by(*order).limit(query.limit + 1)).all()
    page = [_stored(row) for row in rows[: query.limit]]
    histories = author_histories(connection, {c.email for c in page})
    items = [QueueItem(**vars(c), author_history=histories[c.email]) for c in page]
    next_cursor = None
    if len(rows) > query.limit:
        last = rows[query.limit - 1]
        next_cursor = _encode_cursor(as_utc(last.created_at).isoformat() if by_time else last.uncertainty, last.id)
    return QueuePage(items=items, next_cursor=next_cursor)


def apply_review(connection: Connection, comment_id: str, review: ReviewIn, actor: str) -> tuple[StoredComment, Status]:
    """Set a reviewed comment's status, record the review on it and flag what the moderator labelled.

    Returns the updated comment and its previous status; raises NotFound.
    """
    row = connection.execute(select(comments).where(_C.id == comment_id).with_for_update()).first()
    if row is None:
        raise NotFound(comment_id)
    now = utcnow()
    previous = Status(row.status)
    record = ReviewRecord(action=review.action, labels=review.labels, note=review.note, by=actor, at=now,
                          previous_status=previous)
    # A moderator's labels flag the comment too, so that rules such as near-duplicate spam can find it.
    connection.execute(comments.update().where(_C.id == comment_id).values(
        status=review.action.status, review=_REVIEW.dump_python(record, mode="json"), updated_at=now,
        flagged_spam=row.flagged_spam or review.labels.spam,
        flagged_toxicity=row.flagged_toxicity or review.labels.toxic))
    return get(connection, comment_id), previous


def apply_report(connection: Connection, comment_id: str, status: Status, spam: bool | None) -> bool:
    """Move a comment a site reported to the status the report means, unless a moderator here has reviewed it:
    a moderator outranks a site. Returns whether the comment moved."""
    row = connection.execute(select(_C.review).where(_C.id == comment_id).with_for_update()).first()
    if row is None or row.review:
        return False
    values = {"status": status, "updated_at": utcnow()}
    if spam:
        values["flagged_spam"] = True
    connection.execute(comments.update().where(_C.id == comment_id).values(**values))
    return True


def undo_review(connection: Connection, comment_id: str) -> tuple[StoredComment, Status]:
    """Put a reviewed comment back where its last review found it: the previous status, no review, and the flags
    its own decision gave it. Returns the comment and the status it had; raises NotFound, or NotReviewed."""
    row = connection.execute(select(comments).where(_C.id == comment_id).with_for_update()).first()
    if row is None:
        raise NotFound(comment_id)
    if not row.review:
        raise NotReviewed(comment_id)
    record = _REVIEW.validate_python(row.review)
    reasons = _REASONS.validate_python(row.reasons)
    connection.execute(comments.update().where(_C.id == comment_id).values(
        status=record.previous_status, review=None, updated_at=utcnow(),
        flagged_spam=flagged(reasons, Label.SPAM), flagged_toxicity=flagged(reasons, Label.TOXICITY)))
    return get(connection, comment_id), Status(row.status)


def by_author(connection: Connection, email: str, limit: int = 100) -> list[StoredComment]:
    """An author's newest comments, whatever their status."""
    rows = connection.execute(select(comments).where(func.lower(_C.email) == email.lower())
                              .order_by(_C.created_at.desc(), _C.id.desc()).limit(limit))
    return [_stored(row) for row in rows]


def daily_stats(connection: Connection, days: int) -> DailyStats:
    """Decisions and reason codes (live and shadow) per UTC day over the last days, oldest day first."""
    today = utcnow().date()
    dates = [today - timedelta(days=n) for n in range(days - 1, -1, -1)]
    since = datetime.combine(dates[0], datetime.min.time(), tzinfo=UTC)
    # date() is SQLite's and PostgreSQL's alike; SQLite answers a string, PostgreSQL a date.
    day = func.date(_C.created_at)
    decisions: dict[str, dict[str, int]] = {}
    for when, decision, count in connection.execute(
            select(day, _C.decision, func.count()).where(_C.created_at >= since).group_by(day, _C.decision)):
        decisions.setdefault(decision, {})[str(when)] = count
    reason_day = func.date(comment_reasons.c.created_at)
    live: dict[str, dict[str, int]] = {}
    shadow: dict[str, dict[str, int]] = {}
    rows = connection.execute(
        select(reason_day, comment_reasons.c.code, comment_reasons.c.shadow, func.count())
        .where(comment_reasons.c.created_at >= since)
        .group_by(reason_day, comment_reasons.c.code, comment_reasons.c.shadow))
    for when, code, is_shadow, count in rows:
        (shadow if is_shadow else live).setdefault(code, {})[str(when)] = count
    return DailyStats(days=[d.isoformat() for d in dates], decisions=decisions, reasons=live, shadow_reasons=shadow)


def stats(connection: Connection, days: int) -> Stats:
    """Decisions and reason codes (live and shadow) over the last days."""
    since = utcnow() - timedelta(days=days)
    decisions = {Action(decision): count for decision, count in connection.execute(
        select(_C.decision, func.count()).where(_C.created_at >= since).group_by(_C.decision))}
    live, shadow = {}, {}
    rows = connection.execute(
        select(comment_reasons.c.code, comment_reasons.c.action, comment_reasons.c.shadow, func.count())
        .where(comment_reasons.c.created_at >= since)
        .group_by(comment_reasons.c.code, comment_reasons.c.action, comment_reasons.c.shadow))
    for code, action, is_shadow, count in rows:
        (shadow if is_shadow else live)[f"{code}:{action}"] = count
    return Stats(days=days, comments=sum(decisions.values()), decisions=decisions, reasons=live, shadow_reasons=shadow)
