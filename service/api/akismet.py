"""Akismet's REST API (1.1) in front of the moderator, for WordPress and any other Akismet client.

The key is one of our site (or moderator) keys, sent as Akismet's `api_key` (`key` for verify-key); the
`blog` URL is not checked, because our keys are not tied to a site. Answers are Akismet's text/plain words
(a 413, 429 or 503 stays problem+json).
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Literal

from flask import Blueprint, Response
from pydantic import BaseModel, ConfigDict, Field, RootModel

from moderation.keys import SITE, ApiKey
from moderation.policy import Action, Forced
from moderation.prepared import PreparedComment
from moderation.reviewing import add_label
from moderation.schemas import CommentIn, Labels, LabelSource, StoredComment
from moderation.store import comments as comments_repo
from moderation.validation import ValidationFailed, validate
from service.auth import authenticate
from service.errors import ApiError
from service.extensions import database, moderator
from service.operations import MODEL_VERSION_HEADER, operation, validation_settings

bp = Blueprint("akismet", __name__)

SUBMITTED = "Thanks for making the web a better place."
# Akismet parameter -> our comment field; every other parameter is kept aside as an extra field (honeypots).
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
TRUE = ("1", "true", "yes", "on")


class KeyVerdict(RootModel[Literal["valid", "invalid"]]):
    """verify-key's answer."""


class CheckVerdict(RootModel[Literal["true", "false", "invalid"]]):
    """comment-check's answer: true is spam (held or rejected here), false is ham, invalid a bad request."""


class SubmitVerdict(RootModel[Literal["Thanks for making the web a better place.", "invalid"]]):
    """submit-spam's and submit-ham's answer."""


class AkismetRequest(BaseModel):
    """Akismet's form parameters (every one optional, as Akismet has them); unknown ones are kept aside."""

    model_config = ConfigDict(extra="allow")

    api_key: str = Field(default="", description="A site (or moderator) key of this service.")
    key: str = Field(default="", description="verify-key's name for api_key.")
    blog: str = ""
    user_ip: str = ""
    user_agent: str = ""
    referrer: str = ""
    permalink: str = ""
    comment_type: str = ""
    comment_author: str = ""
    comment_author_email: str = ""
    comment_author_url: str = ""
    comment_content: str = ""
    comment_date_gmt: str = ""
    user_role: str = ""
    is_test: str = ""
    honeypot_field_name: str = ""

    def parameter(self, name: str) -> str:
        """A parameter's value, declared or not ("" when absent)."""
        value = getattr(self, name, None) if name in type(self).model_fields else (self.model_extra or {}).get(name)
        return value if isinstance(value, str) else ""


class Invalid(Exception):
    """Akismet's `invalid` answer; the message goes to the X-akismet-debug-help header."""


@bp.errorhandler(Invalid)
def _invalid(error: Invalid) -> Response:
    return _text("invalid", {"X-akismet-debug-help": str(error)})


def _text(body: str, headers: dict[str, str] | None = None) -> Response:
    return Response(body, mimetype="text/plain", headers=headers)


def api_key(request: AkismetRequest, verifying: bool = False) -> ApiKey:
    """The caller's key: `api_key` (or `key`), except for verify-key, which checks `key` (the plugin also sends
    the key saved before as `api_key` while a site changes keys); Invalid if it is not one of ours."""
    token = (request.key or request.api_key) if verifying else (request.api_key or request.key)
    try:
        return authenticate(token or None, SITE, akismet=True)
    except ApiError:
        raise Invalid("The API key is not a site or moderator key of this service.") from None


def anonymous_email(ip: str) -> str:
    """A stand-in address for a commenter who gave no usable one."""
    # One per IP address, so that the history, duplicate and flood rules still tell anonymous commenters
    # apart (one shared address would make them one prolific author); letters only, because digits in an
    # address are a spam signal to the model.
    digest = hashlib.sha256(ip.strip().encode()).digest()[:8]
    return f"anonymous-{''.join(chr(ord('a') + b % 26) for b in digest)}@{ANONYMOUS_DOMAIN}"


def akismet_comment(request: AkismetRequest) -> CommentIn:
    """Our comment from Akismet's parameters, with fallbacks for what Akismet allows to be missing or odd."""
    extras = {name: value for name, value in (request.model_extra or {}).items() if name not in FIELDS}
    fields = {**extras, **{ours: request.parameter(theirs) for theirs, ours in FIELDS.items()}}
    fields["name"] = fields["name"].strip() or ANONYMOUS_NAME
    settings = validation_settings()
    try:
        return validate(CommentIn, fields, settings)
    except ValidationFailed as failure:
        failed = set(failure.errors)
    fields.update(dict.fromkeys(failed & DROPPABLE, ""))
    if "email" in failed:
        fields["email"] = anonymous_email(request.user_ip)
        settings = replace(settings, check_deliverability=False)
    try:
        return validate(CommentIn, fields, settings)
    except ValidationFailed as failure:
        problems = "; ".join(f"{FIELD_NAMES.get(f, f)}: {' '.join(m)}" for f, m in failure.errors.items())
        raise Invalid(problems) from None


def forced_verdict(request: AkismetRequest) -> Forced | None:
    """Akismet's documented test values, and its own honeypot."""
    trap_field = request.honeypot_field_name
    # A filled-in trap field outranks a claimed administrator role: only bots fill it in.
    if (trap_field and request.parameter(trap_field).strip()) or \
            request.comment_author.strip().lower() in SPAM_AUTHORS or \
            request.comment_author_email.strip().lower() == SPAM_EMAIL:
        return Forced.SPAM
    if request.user_role.strip().lower() == "administrator":
        return Forced.HAM
    return None


def submitted_labels(spam: bool, stored: StoredComment | None) -> Labels:
    """Akismet's word on spam; toxicity stays as a moderator labelled it, since Akismet says nothing about it."""
    reviewed = stored.review.labels if stored and stored.review else None
    return Labels(spam=spam, toxic=reviewed.toxic if reviewed else False,
                  category=reviewed.category if reviewed else None)


@bp.post("/1.1/verify-key")
@operation(key=None, body=AkismetRequest, form=True, text=True, responses={200: KeyVerdict}, tags=["akismet"])
def verify_key(body: AkismetRequest):
    """`valid` for a site or moderator key, `invalid` otherwise (text/plain)."""
    api_key(body, verifying=True)
    return _text("valid")


@bp.post("/1.1/comment-check")
@operation(key=None, body=AkismetRequest, form=True, text=True, responses={200: CheckVerdict}, errors=(429, 503),
           tags=["akismet"])
def comment_check(body: AkismetRequest):
    """Check and store a comment: `true` if it is held or rejected (rejected: pro-tip discard), else `false`."""
    api_key(body)
    prepared = PreparedComment.of(akismet_comment(body))
    decision = moderator().moderate(prepared, forced=forced_verdict(body))
    stored = moderator().save(prepared, decision)
    headers = {"X-akismet-guid": stored.id, MODEL_VERSION_HEADER: stored.model_version}
    if decision.decision == Action.REJECT:
        headers["X-akismet-pro-tip"] = "discard"
    return _text("false" if decision.decision == Action.ACCEPT else "true", headers)


def _submit(body: AkismetRequest, spam: bool) -> Response:
    key = api_key(body)
    comment = akismet_comment(body)
    # is_test asks Akismet not to learn from the request; so we store no label.
    if body.is_test.strip().lower() not in TRUE:
        with database().reading() as connection:
            stored = comments_repo.find_by_fingerprint(connection, comment.email,
                                                       PreparedComment.of(comment).fingerprint)
        add_label(database(), comment.stored_fields(), submitted_labels(spam, stored), LabelSource.AKISMET, key.id,
                  comment_id=stored.id if stored else None)
    return _text(SUBMITTED)


@bp.post("/1.1/submit-spam")
@operation(key=None, body=AkismetRequest, form=True, text=True, responses={200: SubmitVerdict}, errors=(503,),
           tags=["akismet"])
def submit_spam(body: AkismetRequest):
    """Label a comment as spam for training (attached to the stored comment when it matches one)."""
    return _submit(body, spam=True)


@bp.post("/1.1/submit-ham")
@operation(key=None, body=AkismetRequest, form=True, text=True, responses={200: SubmitVerdict}, errors=(503,),
           tags=["akismet"])
def submit_ham(body: AkismetRequest):
    """Label a comment as not spam for training (attached to the stored comment when it matches one)."""
    return _submit(body, spam=False)
