"""The rules repository: the settings a moderator changed, and the word, domain and author lists."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.engine import Connection, Row

from moderation.schemas import RuleEntry, RuleEntryIn, RuleSettings
from moderation.store.comments import NotFound
from moderation.store.db import as_utc, utcnow
from moderation.store.tables import rule_entries, rule_settings

SETTINGS_ROW = 1


def _entry(row: Row) -> RuleEntry:
    return RuleEntry(id=row.id, kind=row.kind, action=row.action, match=row.match, value=row.value, note=row.note,
                     created_by=row.created_by, created_at=as_utc(row.created_at))


def changed_settings(connection: Connection) -> dict:
    """The settings a moderator changed (the rest are defaults)."""
    row = connection.execute(select(rule_settings.c["values"]).where(rule_settings.c.id == SETTINGS_ROW)).first()
    return dict(row[0]) if row else {}


def settings(connection: Connection) -> RuleSettings:
    """The settings in force."""
    return RuleSettings.model_validate(changed_settings(connection))


def entries(connection: Connection) -> list[RuleEntry]:
    """Every list entry, oldest first."""
    return [_entry(row) for row in connection.execute(select(rule_entries).order_by(rule_entries.c.id))]


def save_settings(connection: Connection, changes: dict, actor: str) -> RuleSettings:
    """Merge validated changes into the stored settings and return the settings in force."""
    merged = {**changed_settings(connection), **changes}
    values = {"values": merged, "updated_by": actor, "updated_at": utcnow()}
    updated = connection.execute(rule_settings.update().where(rule_settings.c.id == SETTINGS_ROW).values(**values))
    if updated.rowcount == 0:
        connection.execute(rule_settings.insert(), {"id": SETTINGS_ROW, **values})
    return RuleSettings.model_validate(merged)


def add_entry(connection: Connection, entry: RuleEntryIn, actor: str) -> RuleEntry:
    """Store a validated list entry."""
    fields, now = entry.root.model_dump(), utcnow()
    result = connection.execute(rule_entries.insert(), {**fields, "created_by": actor, "created_at": now})
    return RuleEntry(id=result.inserted_primary_key[0], **fields, created_by=actor, created_at=now)


def delete_entry(connection: Connection, entry_id: int) -> RuleEntry:
    """Remove an entry and return what it was; raises NotFound."""
    row = connection.execute(select(rule_entries).where(rule_entries.c.id == entry_id)).first()
    if row is None:
        raise NotFound(str(entry_id))
    connection.execute(rule_entries.delete().where(rule_entries.c.id == entry_id))
    return _entry(row)
