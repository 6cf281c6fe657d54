"""Moderators' reviews, sites' reports and imported examples: each one transaction with its audit event."""

from __future__ import annotations

from collections.abc import Mapping

from moderation.limits import REPORTS, RateLimiter
from moderation.retraining import is_evaluation_text
from moderation.schemas import FeedbackIn, LabelCreated, LabelSource, Report, ReviewIn, Status, StoredComment
from moderation.store import Database
from moderation.store import audit as audit_repo
from moderation.store import comments as comments_repo
from moderation.store import labels as labels_repo


def review_comment(database: Database, comment_id: str, review: ReviewIn, actor: str) -> tuple[StoredComment, Status]:
    """Apply a moderator's review: status, review record, training label and audit event, in one transaction.

    Returns the updated comment and its previous status; raises NotFound.
    """
    with database.transaction() as connection:
        comment, previous = comments_repo.apply_review(connection, comment_id, review, actor)
        labels_repo.upsert_moderator(connection, vars(comment), review.labels, LabelSource.REVIEW, actor,
                                     is_evaluation_text(comment.comment), comment_id=comment_id)
        audit_repo.record(connection, actor, "comment.review", comment_id,
                          {"action": review.action, "labels": review.labels.model_dump(mode="json"),
                           "note": review.note, "previous_status": previous, "status": comment.status})
    return comment, previous


def add_feedback(database: Database, feedback: FeedbackIn, actor: str) -> LabelCreated:
    """A moderator's labelled example for a comment the service never stored."""
    fields = feedback.stored_fields()
    with database.transaction() as connection:
        label_id = labels_repo.upsert_moderator(connection, fields, feedback.labels, LabelSource.FEEDBACK, actor,
                                                is_evaluation_text(fields["comment"]))
        audit_repo.record(connection, actor, "label.add", str(label_id),
                          {"source": LabelSource.FEEDBACK, "labels": feedback.labels.model_dump(mode="json")})
    return LabelCreated(id=label_id, labels=feedback.labels)


def report(database: Database, limiter: RateLimiter | None, fields: Mapping[str, str], said: Report,
           source: LabelSource, key_id: str, comment: StoredComment | None = None) -> int:
    """Store a site's report (Akismet submit-spam/ham, Perspective suggestscore) with its provenance.

    A report is a vote of one key: it never replaces a moderator's label, and counts in training as the README's
    "Labels and their weight" says. A report on a stored comment moves it to the status the report means
    (spam: rejected, not spam: accepted), unless a moderator here has reviewed it. Raises RateLimited.
    """
    if limiter is not None:
        limiter.hit(REPORTS, key_id)
    with database.transaction() as connection:
        label_id = labels_repo.upsert_report(connection, fields, said, source, key_id,
                                             comment_id=comment.id if comment else None)
        moved = False
        if comment is not None and said.spam is not None:
            moved = comments_repo.apply_report(connection, comment.id,
                                               Status.REJECTED if said.spam else Status.ACCEPTED, said.spam)
        audit_repo.record(connection, key_id, "label.report", str(label_id),
                          {"source": source, "spam": said.spam, "toxic": said.toxic, "category": said.category,
                           "comment_id": comment.id if comment else None, "status_changed": moved})
    return label_id
