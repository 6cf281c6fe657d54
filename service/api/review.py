"""The moderators' side: the review queue, reviews, feedback and the audit log."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, g, request

from model import LABELS
from moderation.keys import MODERATOR
from moderation.policy import STATUS_FOR_DECISION
from moderation.store import QUEUE_ORDERS, BadCursor, NotFound, QueueQuery, isoformat, utcnow
from moderation.validation import ValidationFailed, validate_comment, validate_labels, validate_review
from service.auth import require_key
from service.errors import invalid_fields, not_found
from service.extensions import store, webhooks
from service.schemas import int_query_arg, request_body, validation_settings

bp = Blueprint("review", __name__, url_prefix="/v1")
STATUSES = tuple(STATUS_FOR_DECISION.values())


def _datetime(name: str, errors: dict) -> datetime | None:
    value = request.args.get(name)
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        errors.setdefault(name, []).append("Must be an ISO 8601 date or date-time.")
        return None


def _queue_query() -> QueueQuery:
    args, errors = request.args, {}
    status = args.get("status", "held")
    if status not in STATUSES:
        errors["status"] = [f"Must be one of {', '.join(STATUSES)}."]
    label = args.get("label") or None
    if label not in (None, *LABELS):
        errors["label"] = [f"Must be one of {', '.join(LABELS)}."]
    order = args.get("order", "newest")
    if order not in QUEUE_ORDERS:
        errors["order"] = [f"Must be one of {', '.join(QUEUE_ORDERS)}."]
    limit = int_query_arg("limit", 50, 1, 200, errors)
    since, until = _datetime("since", errors), _datetime("until", errors)
    if errors:
        raise invalid_fields(errors)
    return QueueQuery(status=status, label=label, article_id=args.get("article_id") or None,
                      email=args.get("email") or None, since=since, until=until, order=order, limit=limit,
                      cursor=args.get("cursor") or None)


@bp.get("/queue")
@require_key(MODERATOR)
def queue():
    """Comments awaiting review (or any status), filtered, ordered and paginated by cursor."""
    try:
        items, next_cursor = store().queue(_queue_query())
    except BadCursor as error:
        raise invalid_fields({"cursor": [str(error)]}) from None
    return {"items": items, "next_cursor": next_cursor}


@bp.post("/comments/<comment_id>/review")
@require_key(MODERATOR)
def review(comment_id: str):
    """Approve or reject a comment, label it for training and log who did it."""
    try:
        decision = validate_review(request_body())
    except ValidationFailed as failure:
        raise invalid_fields(failure.errors) from None
    try:
        comment, previous = store().review(comment_id, decision, g.api_key.id)
    except NotFound:
        raise not_found(f"No comment has the id {comment_id!r}.") from None
    if comment["status"] != previous:
        webhooks().send({"type": "comment.status_changed", "comment_id": comment_id, "status": comment["status"],
                         "previous_status": previous, "review": comment["review"], "at": isoformat(utcnow())})
    return comment


@bp.post("/feedback")
@require_key(MODERATOR)
def feedback():
    """A labelled example for a comment the service never stored (like Akismet's submit-spam/ham)."""
    body = request_body()
    errors: dict[str, list[str]] = {}
    try:
        comment = validate_comment(body, validation_settings())
    except ValidationFailed as failure:
        errors.update(failure.errors)
        comment = None
    labels = validate_labels(body.get("labels"), errors)
    if errors:
        raise invalid_fields(errors)
    label_id = store().add_label(comment, labels, source="feedback", actor=g.api_key.id)
    return {"id": label_id, "labels": labels.as_dict()}, 201


@bp.get("/audit")
@require_key(MODERATOR)
def audit():
    """The newest audit events, optionally for one target (a comment id, a model version, a job id)."""
    limit = int_query_arg("limit", 100, 1, 1000)
    return {"events": store().audit_events(request.args.get("target") or None, limit)}

