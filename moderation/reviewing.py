"""Moderators' reviews and labelled examples: each one transaction with its audit event."""

from __future__ import annotations

from collections.abc import Mapping

from moderation.policy import Label, flagged
from moderation.retraining import is_evaluation_text
from moderation.schemas import (
    FeedbackIn,
    LabelCreated,
    Labels,
    LabelSource,
    ReviewAction,
    ReviewIn,
    Status,
    StoredComment,
)
from moderation.store import Database
from moderation.store import audit as audit_repo
from moderation.store import comments as comments_repo
from moderation.store import labels as labels_repo

# The dashboard's one-key reviews: what each key means as a review of a comment.
QUICK_REVIEWS = ("approve", "reject", "spam", "toxic")


def quick_review(comment: StoredComment, kind: str, note: str = "") -> ReviewIn:
    """The review a one-key action makes: approve (neither spam nor toxic), reject (labelled as the decision
    flagged it: the moderator agrees with the reasons), spam or toxic (reject with that label alone)."""
    if kind == "approve":
        action, spam, toxic = ReviewAction.APPROVE, False, False
    elif kind == "reject":
        action = ReviewAction.REJECT
        spam, toxic = flagged(comment.reasons, Label.SPAM), flagged(comment.reasons, Label.TOXICITY)
    elif kind in ("spam", "toxic"):
        action, spam, toxic = ReviewAction.REJECT, kind == "spam", kind == "toxic"
    else:
        raise ValueError(f"a quick review is one of {', '.join(QUICK_REVIEWS)}, not {kind!r}")
    return ReviewIn(action=action, labels=Labels(spam=spam, toxic=toxic), note=note)


def review_comment(database: Database, comment_id: str, review: ReviewIn, actor: str) -> tuple[StoredComment, Status]:
    """Apply a moderator's review: status, review record, training label and audit event, in one transaction.

    Returns the updated comment and its previous status; raises NotFound.
    """
    with database.transaction() as connection:
        comment, previous = comments_repo.apply_review(connection, comment_id, review, actor)
        labels_repo.upsert(connection, vars(comment), review.labels, LabelSource.REVIEW, actor,
                           is_evaluation_text(comment.comment), comment_id=comment_id)
        audit_repo.record(connection, actor, "comment.review", comment_id,
                          {"action": review.action, "labels": review.labels.model_dump(mode="json"),
                           "note": review.note, "previous_status": previous, "status": comment.status})
    return comment, previous


def undo_review(database: Database, comment_id: str, actor: str) -> tuple[StoredComment, Status]:
    """Undo a comment's last review: back to the status it had, its review label withdrawn from training, and an
    audit event, in one transaction. Returns the comment and the status it had; raises NotFound or NotReviewed."""
    with database.transaction() as connection:
        comment, undone = comments_repo.undo_review(connection, comment_id)
        labels_repo.delete_for_comment(connection, comment_id)
        audit_repo.record(connection, actor, "comment.review_undo", comment_id,
                          {"undone_status": undone, "status": comment.status})
    return comment, undone


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
