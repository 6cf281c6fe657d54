"""Moderators' reviews, sites' reports and imported examples: each one transaction with its audit event."""

from __future__ import annotations

from collections.abc import Mapping

from moderation.limits import REPORTS, RateLimiter
from moderation.policy import Label, flagged
from moderation.retraining import is_evaluation_text
from moderation.schemas import (
    FeedbackIn,
    LabelCreated,
    Labels,
    LabelSource,
    Report,
    ReviewAction,
    ReviewIn,
    Status,
    StoredComment,
)
from moderation.store import Database
from moderation.store import audit as audit_repo
from moderation.store import comments as comments_repo
from moderation.store import jobs as jobs_repo
from moderation.store import labels as labels_repo
from moderation.webhooks import status_changed

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


def review_comment(database: Database, comment_id: str, review: ReviewIn, actor: str,
                   notify: bool = False) -> tuple[StoredComment, Status]:
    """Apply a moderator's review: status, review record, training label, audit event and (with notify, when the
    status changed) the webhook delivery job, in one transaction, so the site hears of every change that was
    committed and of no other.

    Returns the updated comment and its previous status; raises NotFound.
    """
    with database.transaction() as connection:
        comment, previous = comments_repo.apply_review(connection, comment_id, review, actor)
        labels_repo.upsert_moderator(connection, vars(comment), review.labels, LabelSource.REVIEW, actor,
                                     is_evaluation_text(comment.comment), comment_id=comment_id)
        audit_repo.record(connection, actor, "comment.review", comment_id,
                          {"action": review.action, "labels": review.labels.model_dump(mode="json"),
                           "note": review.note, "previous_status": previous, "status": comment.status})
        if notify and comment.status != previous:
            jobs_repo.create(connection, jobs_repo.WEBHOOK, {"event": status_changed(comment, previous)}, actor)
    return comment, previous


def undo_review(database: Database, comment_id: str, actor: str, notify: bool = False) -> tuple[StoredComment, Status]:
    """Undo a comment's last review: back to the status it had, its review label withdrawn from training, an audit
    event and (with notify, when the status changed) the webhook delivery job, in one transaction. Returns the
    comment and the status it had; raises NotFound or NotReviewed."""
    with database.transaction() as connection:
        comment, undone = comments_repo.undo_review(connection, comment_id)
        labels_repo.delete_for_comment(connection, comment_id)
        audit_repo.record(connection, actor, "comment.review_undo", comment_id,
                          {"undone_status": undone, "status": comment.status})
        if notify and comment.status != undone:
            jobs_repo.create(connection, jobs_repo.WEBHOOK, {"event": status_changed(comment, undone)}, actor)
    return comment, undone


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
        limiter.hit((REPORTS, key_id))
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
