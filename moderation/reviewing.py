"""Moderators' reviews and labelled examples: each one transaction with its audit event."""

from __future__ import annotations

from collections.abc import Mapping

from moderation.retraining import is_evaluation_text
from moderation.schemas import FeedbackIn, LabelCreated, Labels, LabelSource, ReviewIn, Status, StoredComment
from moderation.store import Database
from moderation.store import audit as audit_repo
from moderation.store import comments as comments_repo
from moderation.store import jobs as jobs_repo
from moderation.store import labels as labels_repo
from moderation.webhooks import status_changed


def review_comment(database: Database, comment_id: str, review: ReviewIn, actor: str,
                   notify: bool = False) -> tuple[StoredComment, Status]:
    """Apply a moderator's review: status, review record, training label, audit event and (with notify, when the
    status changed) the webhook delivery job, in one transaction, so the site hears of every change that was
    committed and of no other.

    Returns the updated comment and its previous status; raises NotFound.
    """
    with database.transaction() as connection:
        comment, previous = comments_repo.apply_review(connection, comment_id, review, actor)
        labels_repo.upsert(connection, vars(comment), review.labels, LabelSource.REVIEW, actor,
                           is_evaluation_text(comment.comment), comment_id=comment_id)
        audit_repo.record(connection, actor, "comment.review", comment_id,
                          {"action": review.action, "labels": review.labels.model_dump(mode="json"),
                           "note": review.note, "previous_status": previous, "status": comment.status})
        if notify and comment.status != previous:
            jobs_repo.create(connection, jobs_repo.WEBHOOK, {"event": status_changed(comment, previous)}, actor)
    return comment, previous


def add_label(database: Database, fields: Mapping[str, str], labels: Labels, source: LabelSource, actor: str,
              comment_id: str | None = None) -> LabelCreated:
    """Store one labelled example (feedback, a site's report) and audit it."""
    with database.transaction() as connection:
        label_id = labels_repo.upsert(connection, fields, labels, source, actor, is_evaluation_text(fields["comment"]),
                                      comment_id=comment_id)
        audit_repo.record(connection, actor, "label.add", str(label_id),
                          {"source": source, "labels": labels.model_dump(mode="json"), "comment_id": comment_id})
    return LabelCreated(id=label_id, labels=labels)


def add_feedback(database: Database, feedback: FeedbackIn, actor: str) -> LabelCreated:
    """A moderator's labelled example for a comment the service never stored."""
    return add_label(database, feedback.stored_fields(), feedback.labels, LabelSource.FEEDBACK, actor)


def import_labels(database: Database, rows: list[tuple[Mapping[str, str], Labels]], actor: str) -> int:
    """Store imported labelled examples in one transaction; returns how many."""
    with database.transaction() as connection:
        count = labels_repo.insert_many(
            connection, [(fields, labels, is_evaluation_text(fields["comment"])) for fields, labels in rows],
            LabelSource.IMPORT, actor)
        audit_repo.record(connection, actor, "label.import", LabelSource.IMPORT, {"count": count})
    return count
