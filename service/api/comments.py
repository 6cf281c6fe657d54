"""Submitting, previewing and reading comments."""

from __future__ import annotations

from flask import Blueprint, current_app, url_for

from moderation.checker import Submission
from moderation.keys import SITE
from moderation.store import isoformat, utcnow
from moderation.validation import ValidationFailed, validate_comment
from service.auth import require_key
from service.errors import invalid_fields, not_found
from service.extensions import checker, rules, store
from service.schemas import parse_comment, request_body, validation_settings

bp = Blueprint("comments", __name__, url_prefix="/v1")
DECISION_FIELDS = ("decision", "scores", "reasons", "model_version", "created_at")


def honeypot_value(body: dict) -> str:
    """What the configured honeypot field holds in a submitted body ("" when none is configured)."""
    field = rules().current().settings.honeypot_field
    value = body.get(field, "") if field else ""
    return value if isinstance(value, str) else str(value)


@bp.post("/comments")
@require_key(SITE)
def create_comment():
    """Validate, run rules and model, decide and store one comment."""
    body = request_body()
    result = checker().check(Submission(parse_comment(body), honeypot=honeypot_value(body)))
    stored = result.stored
    answer = {"id": stored["id"], **{key: stored[key] for key in DECISION_FIELDS}}
    return answer, 201, {"Location": url_for("comments.get_comment", comment_id=stored["id"])}


@bp.get("/comments/<comment_id>")
@require_key(SITE)
def get_comment(comment_id: str):
    """A stored comment with its current status."""
    found = store().get_comment(comment_id)
    if found is None:
        raise not_found(f"No comment has the id {comment_id!r}.")
    return found


@bp.post("/analyze")
@require_key(SITE)
def analyze():
    """Score and decide up to MAX_BATCH_ITEMS comments without storing them."""
    items = request_body().get("items")
    limit = current_app.config["MAX_BATCH_ITEMS"]
    if not isinstance(items, list) or not 1 <= len(items) <= limit:
        raise invalid_fields({"items": [f"Must be a list of 1 to {limit} comment objects."]})
    settings = validation_settings()
    results: list[dict] = [{} for _ in items]
    valid = []
    for index, item in enumerate(items):
        try:
            valid.append((index, validate_comment(item, settings)))
        except ValidationFailed as failure:
            results[index] = {"errors": failure.errors}
    decisions = checker().preview([c for _, c in valid]) if valid else []
    created_at = isoformat(utcnow())
    for (index, _), decision in zip(valid, decisions, strict=True):
        results[index] = {"decision": decision.decision, "scores": decision.scores,
                          "reasons": [r.as_dict() for r in decision.reasons],
                          "model_version": decision.model_version, "created_at": created_at}
    return {"results": results}
