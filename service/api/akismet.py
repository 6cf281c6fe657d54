"""Akismet's REST API (1.1) in front of the comment checker, for WordPress and any other Akismet client.

The key is one of our site (or moderator) keys, sent as Akismet's `api_key` (`key` for verify-key); the
`blog` URL is not checked, because our keys are not tied to a site. Answers are Akismet's text/plain words
(a 413, 429 or 503 stays problem+json).
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

from flask import Blueprint, Response, request
from werkzeug.datastructures import MultiDict

from moderation.checker import Submission
from moderation.keys import SITE, ApiKey
from moderation.validation import CommentInput, Labels, ValidationFailed, validate_comment
from service.api.comments import honeypot_value
from service.auth import authenticate
from service.errors import ApiError
from service.extensions import checker, store
from service.schemas import validation_settings

bp = Blueprint("akismet", __name__)

SUBMITTED = "Thanks for making the web a better place."
# Akismet parameter -> our comment field; every other parameter is ignored.
FIELDS = {"comment_author": "name", "comment_author_email": "email", "comment_content": "comment",
          "comment_author_url": "url", "permalink": "article_url", "user_ip": "ip", "user_agent": "user_agent",
          "referrer": "referrer"}
FIELD_NAMES = {ours: theirs for theirs, ours in FIELDS.items()}
# Metadata that Akismet accepts in any shape: when ours fails validation it is dropped, not refused.
DROPPABLE = frozenset({"url", "article_url", "referrer", "ip"})
ANONYMOUS_NAME = "Anonymous"
ANONYMOUS_DOMAIN = "anonymous.example.org"
SPAM_AUTHORS = frozenset({"viagra-test-123", "akismet-guaranteed-spam"})
SPAM_EMAIL = "akismet-guaranteed-spam@example.com"
# How far back submit-spam/submit-ham look for the stored comment they report on.


class Invalid(Exception):
    """Akismet's `invalid` answer; the message goes to the X-akismet-debug-help header."""


@bp.errorhandler(Invalid)
def _invalid(error: Invalid) -> Response:
    return _text("invalid", {"X-akismet-debug-help": str(error)})


def _text(body: str, headers: dict[str, str] | None = None) -> Response:
    return Response(body, mimetype="text/plain", headers=headers)


def _flag(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


def api_key(form: MultiDict) -> ApiKey:
    """The caller's key from `api_key` (or `key`); Invalid if it is not one of ours."""
    try:
        return authenticate(form.get("api_key") or form.get("key") or None, SITE)
    except ApiError:
        raise Invalid("The API key is not a site or moderator key of this service.") from None


def anonymous_email(ip: str) -> str:
    """A stand-in address for a commenter who gave no usable one."""
    # One per IP address, so that the history, duplicate and flood rules still tell anonymous commenters
    # apart (one shared address would make them one prolific author); letters only, because digits in an
    # address are a spam signal to the model.
    digest = hashlib.sha256(ip.strip().encode()).digest()[:8]
    return f"anonymous-{''.join(chr(ord('a') + b % 26) for b in digest)}@{ANONYMOUS_DOMAIN}"


def akismet_comment(form: MultiDict) -> CommentInput:
    """Our comment from Akismet's parameters, with fallbacks for what Akismet allows to be missing or odd."""
    fields = {ours: form.get(theirs, "") for theirs, ours in FIELDS.items()}
    fields["name"] = fields["name"].strip() or ANONYMOUS_NAME
    settings = validation_settings()
    try:
        return validate_comment(fields, settings)
    except ValidationFailed as failure:
        failed = set(failure.errors)
    fields.update(dict.fromkeys(failed & DROPPABLE, ""))
    if "email" in failed:
        fields["email"] = anonymous_email(form.get("user_ip", ""))
        settings = replace(settings, check_deliverability=False)
    try:
        return validate_comment(fields, settings)
    except ValidationFailed as failure:
        problems = "; ".join(f"{FIELD_NAMES[f]}: {' '.join(m)}" for f, m in failure.errors.items())
        raise Invalid(problems) from None


def submission(form: MultiDict) -> Submission:
    """The comment with Akismet's honeypot and its documented test values."""
    comment = akismet_comment(form)
    trap_field = form.get("honeypot_field_name", "")
    trap = form.get(trap_field, "").strip() if trap_field else ""
    forced = None
    # A filled-in trap field outranks a claimed administrator role: only bots fill it in.
    if trap or form.get("comment_author", "").strip().lower() in SPAM_AUTHORS or \
            form.get("comment_author_email", "").strip().lower() == SPAM_EMAIL:
        forced = "spam"
    elif form.get("user_role", "").strip().lower() == "administrator":
        forced = "ham"
    return Submission(comment, honeypot=trap or honeypot_value(form), forced=forced)


def stored_match(comment: CommentInput) -> dict | None:
    """The stored comment with this author's email and text (the one comment-check saw), if recent."""
    return store().find_comment(comment.email, comment.comment)


def submitted_labels(spam: bool, stored: dict | None) -> Labels:
    """Akismet's word on spam; toxicity stays as a moderator labelled it, since Akismet says nothing about it."""
    reviewed = ((stored or {}).get("review") or {}).get("labels") or {}
    return Labels(spam=spam, toxic=reviewed.get("toxic", False), category=reviewed.get("category"))


@bp.post("/1.1/verify-key")
def verify_key():
    """`valid` for a site or moderator key, `invalid` otherwise."""
    api_key(request.form)
    return _text("valid")


@bp.post("/1.1/comment-check")
def comment_check():
    """Check and store a comment: `true` if it is held or rejected (rejected: pro-tip discard), else `false`."""
    api_key(request.form)
    result = checker().check(submission(request.form))
    decision = result.decision.decision
    headers = {"X-akismet-guid": result.stored["id"]}
    if decision == "reject":
        headers["X-akismet-pro-tip"] = "discard"
    return _text("false" if decision == "accept" else "true", headers)


def _submit(spam: bool) -> Response:
    key = api_key(request.form)
    comment = akismet_comment(request.form)
    # is_test asks Akismet not to learn from the request; so we store no label.
    if not _flag(request.form.get("is_test", "")):
        stored = stored_match(comment)
        store().add_label(comment, submitted_labels(spam, stored), source="akismet", actor=key.id,
                          comment_id=stored["id"] if stored else None)
    return _text(SUBMITTED)


@bp.post("/1.1/submit-spam")
def submit_spam():
    """Label a comment as spam for training (attached to the stored comment when it matches one)."""
    return _submit(spam=True)


@bp.post("/1.1/submit-ham")
def submit_ham():
    """Label a comment as not spam for training (attached to the stored comment when it matches one)."""
    return _submit(spam=False)
