"""Managing the rules: settings and the word, domain and author lists (moderator keys; every change audited)."""

from __future__ import annotations

from flask import Blueprint, g

from moderation.keys import MODERATOR
from moderation.rules import entry_errors, settings_errors
from moderation.store import NotFound
from service.auth import require_key
from service.errors import invalid_fields, not_found
from service.extensions import rules, store
from service.schemas import int_query_arg, request_body

bp = Blueprint("rules", __name__, url_prefix="/v1")


def _config() -> dict:
    settings, entries = store().rule_config()
    return {"settings": settings.as_dict(), "entries": [e.__dict__ for e in entries]}


@bp.get("/rules")
@require_key(MODERATOR)
def get_rules():
    """Every setting and every list entry."""
    return _config()


@bp.patch("/rules/settings")
@require_key(MODERATOR)
def update_settings():
    """Change some settings; the others keep their values."""
    changes = request_body()
    errors = settings_errors(changes)
    if errors:
        raise invalid_fields(errors)
    settings = store().update_rule_settings(changes, g.api_key.id)
    rules().invalidate()
    return {"settings": settings.as_dict()}


@bp.post("/rules/entries")
@require_key(MODERATOR)
def add_entry():
    """Add a word, domain or author entry."""
    data = request_body()
    errors = entry_errors(data)
    if errors:
        raise invalid_fields(errors)
    entry = store().add_rule_entry(data, g.api_key.id)
    rules().invalidate()
    return entry, 201


@bp.delete("/rules/entries/<int:entry_id>")
@require_key(MODERATOR)
def delete_entry(entry_id: int):
    """Remove an entry."""
    try:
        store().delete_rule_entry(entry_id, g.api_key.id)
    except NotFound:
        raise not_found(f"No rule entry has the id {entry_id}.") from None
    rules().invalidate()
    return "", 204


@bp.get("/stats")
@require_key(MODERATOR)
def stats():
    """Decisions and reason codes, live and in shadow mode, over the last `days` days (default 7)."""
    return store().stats(int_query_arg("days", 7, 1, 365))
