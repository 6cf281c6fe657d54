"""Submitting, previewing and reading comments."""

from __future__ import annotations

from flask import Blueprint, url_for

from moderation.keys import SITE
from moderation.prepared import PreparedComment
from moderation.schemas import (
    AnalyzeIn,
    AnalyzeResult,
    AnalyzeResults,
    CommentDecision,
    CommentIn,
    ItemErrors,
    StoredComment,
)
from moderation.store import comments as comments_repo
from moderation.store.db import utcnow
from moderation.validation import ValidationFailed, validate
from service.errors import not_found
from service.extensions import database, moderator
from service.operations import MODEL_VERSION_HEADER, operation, validation_settings

bp = Blueprint("comments", __name__, url_prefix="/v1")


@bp.post("/comments")
@operation(key=SITE, body=CommentIn, form=True, responses={201: CommentDecision}, errors=(429, 503),
           tags=["comments"])
def create_comment(body: CommentIn):
    """Validate, run rules and model, decide and store one comment.

    The answer is given only once the comment is stored: a failed write is a 503, never a decision.
    """
    prepared = PreparedComment.of(body)
    decision = moderator().moderate(prepared)
    stored = moderator().save(prepared, decision)
    return CommentDecision.of(stored), 201, {"Location": url_for("comments.get_comment", comment_id=stored.id),
                                             MODEL_VERSION_HEADER: stored.model_version}


@bp.get("/comments/<comment_id>")
@operation(key=SITE, responses={200: StoredComment}, errors=(404, 503), tags=["comments"])
def get_comment(comment_id: str):
    """A stored comment with its current status."""
    with database().reading() as connection:
        found = comments_repo.get(connection, comment_id)
    if found is None:
        raise not_found(f"No comment has the id {comment_id!r}.")
    return found


def _prepared(item) -> PreparedComment | ItemErrors:
    try:
        return PreparedComment.of(validate(CommentIn, item, validation_settings()))
    except ValidationFailed as failure:
        return ItemErrors(errors=failure.errors)


@bp.post("/analyze")
@operation(key=SITE, body=AnalyzeIn, responses={200: AnalyzeResults}, errors=(503,), tags=["comments"])
def analyze(body: AnalyzeIn):
    """Score and decide up to 1,000 comments without storing them; an invalid item gets its own errors.

    The rules that need the commenter's history (duplicates, floods, first posts, trust) are skipped, and the
    request counts toward no limit.
    """
    items = [_prepared(item) for item in body.items]
    valid = [item for item in items if isinstance(item, PreparedComment)]
    scored = moderator().preview(valid) if valid else []
    decisions = iter(scored)
    now, results = utcnow(), []
    for item in items:
        if isinstance(item, ItemErrors):
            results.append(item)
        else:
            decision = next(decisions)
            results.append(AnalyzeResult(decision.decision, decision.scores, decision.reasons,
                                         decision.model_version, now))
    versions = sorted({decision.model_version for decision in scored})
    return AnalyzeResults(results=results), 200, {MODEL_VERSION_HEADER: ", ".join(versions)} if versions else {}
