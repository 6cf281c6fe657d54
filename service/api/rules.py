"""Managing the rules: settings and the word, domain and author lists (moderator keys; every change audited)."""

from __future__ import annotations

from flask import Blueprint, g

from moderation import rule_changes
from moderation.keys import MODERATOR
from moderation.schemas import RuleConfig, RuleEntry, RuleEntryIn, RuleSettings, SettingsChanged, Stats, StatsQuery
from moderation.store import NotFound
from moderation.store import comments as comments_repo
from service.errors import not_found
from service.extensions import database, moderator
from service.operations import operation

bp = Blueprint("rules", __name__, url_prefix="/v1")


@bp.get("/rules")
@operation(key=MODERATOR, responses={200: RuleConfig}, errors=(503,), tags=["rules"])
def get_rules():
    """Every setting and every list entry."""
    return rule_changes.current(database())


@bp.patch("/rules/settings")
@operation(key=MODERATOR, body=RuleSettings, responses={200: SettingsChanged}, errors=(503,), tags=["rules"])
def update_settings(body: RuleSettings):
    """Change the settings sent; the others keep their values."""
    settings = rule_changes.change_settings(database(), body, g.api_key.id)
    moderator().rules.invalidate()
    return SettingsChanged(settings=settings)


@bp.post("/rules/entries")
@operation(key=MODERATOR, body=RuleEntryIn, responses={201: RuleEntry}, errors=(503,), tags=["rules"])
def add_entry(body: RuleEntryIn):
    """Add a word, domain or author entry."""
    entry = rule_changes.add_entry(database(), body, g.api_key.id)
    moderator().rules.invalidate()
    return entry, 201


@bp.delete("/rules/entries/<int(max=2147483647):entry_id>")
@operation(key=MODERATOR, responses={204: None}, errors=(404, 503), tags=["rules"])
def delete_entry(entry_id: int):
    """Remove an entry."""
    try:
        rule_changes.delete_entry(database(), entry_id, g.api_key.id)
    except NotFound:
        raise not_found(f"No rule entry has the id {entry_id}.") from None
    moderator().rules.invalidate()
    return None, 204


@bp.get("/stats")
@operation(key=MODERATOR, query=StatsQuery, responses={200: Stats}, errors=(503,), tags=["rules"])
def stats(query: StatsQuery):
    """Decisions and reason codes, live and in shadow mode, over the last `days` days (default 7)."""
    with database().reading() as connection:
        return comments_repo.stats(connection, query.days)
