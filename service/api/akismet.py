"""Akismet's REST API (1.1) in front of the moderator, for WordPress and any other Akismet client.

The key is one of our site (or moderator) keys, sent as Akismet's `api_key` (`key` for verify-key); the
`blog` URL is not checked, because our keys are not tied to a site. Answers are Akismet's text/plain words
(a 413, 429 or 503 stays problem+json), except get-subscription and get-stats, which the plugin reads as JSON.
What the protocol means in our terms (slashes, verdicts, rechecks, stats) is in moderation/akismet.py.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Literal

from flask import Blueprint, Response
from pydantic import BaseModel, ConfigDict, Field, RootModel

from moderation import akismet as protocol
from moderation.keys import SITE, ApiKey
from moderation.policy import Forced
from moderation.prepared import PreparedComment
from moderation.reviewing import report
from moderation.schemas import CommentIn, LabelSource, Report
from moderation.validation import ValidationFailed, validate
from service.auth import authenticate
from service.errors import ApiError
from service.extensions import database, limiter, moderator
from service.operations import MODEL_VERSION_HEADER, operation, validation_settings

bp = Blueprint("akismet", __name__)

SUBMITTED = "Thanks for making the web a better place."
# Akismet parameter -> our comment field; every other parameter is kept aside as an extra field (honeypots).
FIELDS = {"comment_author": "name", "comment_author_email": "email", "comment_content": "comment",
          "comment_author_url": "url", "permalink": "article_url", "user_ip": "ip", "user_agent": "user_agent",
          "referrer": "referrer", "comment_post_ID": "article_id", "comment_parent": "parent_id"}
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


class TestVerdict(RootModel[Literal["connected"]]):
    """The plugin's connectivity test."""


class DeactivateVerdict(RootModel[Literal["deactivated", "invalid"]]):
    """deactivate's answer."""


class Subscription(BaseModel):
    """get-subscription: what the plugin's settings screen reads about the key's account (it saves a key only
    while `status` is active)."""

    status: Literal["active"] = "active"
    account_name: str = Field(description="The key's public id.")
    account_type: Literal["self-hosted"] = "self-hosted"
    next_billing_date: Literal[False] = False
    limit_reached: Literal[False] = False


class AkismetStatsOut(BaseModel):
    """get-stats: the numbers on the plugin's settings screen, computed from the stored comments and reports."""

    spam: int = Field(description="Comments answered `true` (rejected).")
    ham: int = Field(description="Comments answered `false` (accepted or held).")
    missed_spam: int = Field(description="Answered `false`, then reported or reviewed as spam.")
    false_positives: int = Field(description="Answered `true`, then reported or reviewed as not spam.")
    accuracy: float = Field(description="Percent of checked comments not later corrected.")
    time_saved: int = Field(description=f"Seconds: spam times {protocol.SECONDS_PER_SPAM}, an estimate.")


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
    recheck_reason: str = Field(default="", description="Set by the plugin when it re-sends a comment it has "
                                "(`Check for Spam`): answered from the stored comment, nothing is stored.")
    guid: str = Field(default="", description="The X-akismet-guid of an earlier comment-check.")
    comment_post_ID: str = Field(default="", description="The post's id (our article_id).")
    comment_parent: str = Field(default="", description="The parent comment's id (our parent_id; 0 is none).")
    akismet_comment_nonce: str = Field(default="", description="Sent with comments from WordPress's form, "
                                       "whose fields arrive slashed (`\\'`): they are unslashed.")
    from_: str = Field(default="", alias="from", description="get-stats: `60-days`, `6-months` or `all`.")

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


def slashed(request: AkismetRequest) -> bool:
    """Whether the comment's fields came slashed from WordPress's form: a first check carries the plugin's
    nonce field; rechecks and reports send what WordPress stored, unslashed."""
    return bool(request.akismet_comment_nonce) and not request.recheck_reason


def akismet_fields(request: AkismetRequest) -> dict[str, str]:
    """Akismet's parameters under our field names (unknown ones kept aside), unslashed when WordPress slashed
    them, with the blog's own address dropped from the url field (it is not a signal about the commenter)."""
    extras = {name: value for name, value in (request.model_extra or {}).items() if name not in FIELDS}
    fields = {**extras, **{ours: request.parameter(theirs) for theirs, ours in FIELDS.items()}}
    if slashed(request):
        for theirs in (*protocol.SLASHED_FIELDS, *(name for name in extras if name.startswith("POST_"))):
            ours = FIELDS.get(theirs, theirs)
            if isinstance(fields[ours], str):
                fields[ours] = protocol.stripslashes(fields[ours])
    if fields["parent_id"].strip() == "0":
        fields["parent_id"] = ""
    if protocol.same_site(fields["url"], protocol.host_of(request.blog)):
        fields["url"] = ""
    return fields


def akismet_comment(request: AkismetRequest) -> CommentIn:
    """Our comment from Akismet's parameters, with fallbacks for what Akismet allows to be missing or odd."""
    fields = akismet_fields(request)
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
    """Akismet's documented test values, and its honeypots (the field the request names, Akismet's own)."""
    trap_field = request.honeypot_field_name
    traps = {name: request.parameter(name) for name in (trap_field, protocol.AKISMET_HONEYPOT) if name}
    # A filled-in trap field outranks a claimed administrator role: only bots fill it in.
    if any(value.strip() for value in traps.values()) or \
            request.comment_author.strip().lower() in SPAM_AUTHORS or \
            request.comment_author_email.strip().lower() == SPAM_EMAIL:
        return Forced.SPAM
    if request.user_role.strip().lower() == "administrator":
        return Forced.HAM
    return None


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
    """Check and store a comment: `true` if it is rejected (pro-tip discard when certain), else `false`, with
    X-moderation-decision (accept, hold, reject) and the stored comment's id as X-akismet-guid. A recheck
    (recheck_reason) of a comment already stored answers its current status and stores nothing."""
    api_key(body)
    prepared = PreparedComment.of(akismet_comment(body))
    if body.recheck_reason:
        with database().reading() as connection:
            seen = protocol.find_checked(connection, body.guid, prepared.comment.email, prepared.fingerprint)
        if seen is not None:
            verdict = protocol.status_verdict(seen)
            return _text(verdict.body, verdict.headers)
    blog_host = protocol.host_of(body.blog)
    decision = moderator().moderate(prepared, forced=forced_verdict(body),
                                    site_domains=frozenset({blog_host} if blog_host else ()))
    stored = moderator().save(prepared, decision)
    verdict = protocol.decision_verdict(decision, stored.id)
    return _text(verdict.body, {**verdict.headers, MODEL_VERSION_HEADER: stored.model_version})


def _submit(body: AkismetRequest, spam: bool) -> Response:
    key = api_key(body)
    comment = akismet_comment(body)
    # is_test asks Akismet not to learn from the request; so we store no label.
    if body.is_test.strip().lower() not in TRUE:
        with database().reading() as connection:
            stored = protocol.find_checked(connection, body.guid, comment.email,
                                           PreparedComment.of(comment).fingerprint)
        # Akismet's word is on spam alone: toxicity stays unknown.
        report(database(), limiter(), comment.stored_fields(), Report(spam=spam), LabelSource.AKISMET, key.id,
               comment=stored)
    return _text(SUBMITTED)


@bp.post("/1.1/submit-spam")
@operation(key=None, body=AkismetRequest, form=True, text=True, responses={200: SubmitVerdict}, errors=(429, 503),
           tags=["akismet"])
def submit_spam(body: AkismetRequest):
    """Label a comment as spam for training (attached to the stored comment when it matches one)."""
    return _submit(body, spam=True)


@bp.post("/1.1/submit-ham")
@operation(key=None, body=AkismetRequest, form=True, text=True, responses={200: SubmitVerdict}, errors=(429, 503),
           tags=["akismet"])
def submit_ham(body: AkismetRequest):
    """Label a comment as not spam for training (attached to the stored comment when it matches one)."""
    return _submit(body, spam=False)


@bp.route("/1.1/test", methods=["GET", "POST"])
@operation(key=None, text=True, responses={200: TestVerdict}, tags=["akismet"])
def connectivity_test():
    """`connected`: the plugin's check that it reaches the server (no key needed)."""
    return _text("connected")


def _account_key(body: AkismetRequest) -> ApiKey:
    # These two answer JSON, so a bad key is a 401 problem rather than Akismet's bare `invalid`; the plugin
    # calls them only for a key verify-key has just called valid.
    try:
        return api_key(body, verifying=True)
    except Invalid:
        raise ApiError(401, "Unauthorized", "The key is not a site or moderator key of this service.") from None


@bp.post("/1.1/get-subscription")
@operation(key=None, body=AkismetRequest, form=True, body_required=False, responses={200: Subscription},
           errors=(401,), tags=["akismet"])
def get_subscription(body: AkismetRequest):
    """The key's account as the plugin's settings screen reads it: always active, self-hosted, no billing."""
    key = _account_key(body)
    return Subscription(account_name=key.id)


@bp.post("/1.1/get-stats")
@operation(key=None, body=AkismetRequest, form=True, body_required=False, responses={200: AkismetStatsOut},
           errors=(401, 503), tags=["akismet"])
def get_stats(body: AkismetRequest):
    """Spam caught, missed spam, false positives and accuracy over `from` (60-days, 6-months or all)."""
    _account_key(body)
    with database().reading() as connection:
        numbers = protocol.stats(connection, body.from_)
    return AkismetStatsOut(**vars(numbers))


@bp.post("/1.1/deactivate")
@operation(key=None, body=AkismetRequest, form=True, text=True, responses={200: DeactivateVerdict},
           tags=["akismet"])
def deactivate(body: AkismetRequest):
    """`deactivated`: the plugin says it stops using the key on a blog; our keys are not tied to blogs, so
    nothing changes (revoke a key with `moderation keys revoke`)."""
    api_key(body, verifying=True)
    return _text("deactivated")
