"""The moderators' side: the review queue, reviews, feedback and the audit log."""

from __future__ import annotations

from flask import Blueprint, g

from moderation.keys import MODERATOR
from moderation.reviewing import add_feedback, review_comment
from moderation.schemas import (
    AuditEvents,
    AuditQuery,
    FeedbackIn,
    LabelCreated,
    QueuePage,
    QueueQuery,
    ReviewIn,
    StoredComment,
)
from moderation.store import BadCursor, NotFound
from moderation.store import audit as audit_repo
from moderation.store import comments as comments_repo
from service.errors import invalid_fields, not_found
from service.extensions import database, job_runner, webhooks_enabled
from service.operations import operation

bp = Blueprint("review", __name__, url_prefix="/v1")


@bp.get("/queue")
@operation(key=MODERATOR, query=QueueQuery, responses={200: QueuePage}, errors=(503,), tags=["review"])
def queue(query: QueueQuery):
    """Comments awaiting review (or any status), filtered, ordered and paginated by cursor."""
    try:
        with database().reading() as connection:
            return comments_repo.queue(connection, query)
    except BadCursor as error:
        raise invalid_fields({"cursor": [str(error)]}) from None


@bp.post("/comments/<comment_id>/review")
@operation(key=MODERATOR, body=ReviewIn, responses={200: StoredComment}, errors=(404, 503), tags=["review"])
def review(comment_id: str, body: ReviewIn):
    """Approve or reject a comment, label it for training and log who did it."""
    try:
        comment, previous = review_comment(database(), comment_id, body, g.api_key.id, notify=webhooks_enabled())
    except NotFound:
        raise not_found(f"No comment has the id {comment_id!r}.") from None
    if comment.status != previous:
        job_runner().wake()
    return comment


@bp.post("/feedback")
@operation(key=MODERATOR, body=FeedbackIn, responses={201: LabelCreated}, errors=(503,), tags=["review"])
def feedback(body: FeedbackIn):
    """A labelled example for a comment the service never stored (like Akismet's submit-spam/ham)."""
    return add_feedback(database(), body, g.api_key.id), 201


@bp.get("/audit")
@operation(key=MODERATOR, query=AuditQuery, responses={200: AuditEvents}, errors=(503,), tags=["review"])
def audit(query: AuditQuery):
    """The newest audit events, optionally for one target (a comment id, a model version, a job id)."""
    with database().reading() as connection:
        return AuditEvents(events=audit_repo.recent(connection, query.target, query.limit))
