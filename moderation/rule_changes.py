"""Moderators' changes to the rules: each one transaction with its audit event."""

from __future__ import annotations

from pydantic import TypeAdapter

from moderation.schemas import RuleConfig, RuleEntry, RuleEntryIn, RuleSettings
from moderation.store import Database
from moderation.store import audit as audit_repo
from moderation.store import rules as rules_repo

_ENTRY = TypeAdapter(RuleEntry)


def current(database: Database) -> RuleConfig:
    """The settings in force and every list entry."""
    with database.reading() as connection:
        return RuleConfig(settings=rules_repo.settings(connection), entries=rules_repo.entries(connection))


def change_settings(database: Database, changes: RuleSettings, actor: str) -> RuleSettings:
    """Apply the settings a moderator sent (only those: changes.model_fields_set) and audit them."""
    sent = changes.model_dump(mode="json", include=changes.model_fields_set)
    with database.transaction() as connection:
        settings = rules_repo.save_settings(connection, sent, actor)
        audit_repo.record(connection, actor, "rules.settings", "rules", sent)
    return settings


def add_entry(database: Database, entry: RuleEntryIn, actor: str) -> RuleEntry:
    """Add a list entry and audit it."""
    with database.transaction() as connection:
        added = rules_repo.add_entry(connection, entry, actor)
        audit_repo.record(connection, actor, "rules.add", f"rule:{added.id}", _ENTRY.dump_python(added, mode="json"))
    return added


def delete_entry(database: Database, entry_id: int, actor: str) -> None:
    """Remove a list entry and audit it; raises NotFound."""
    with database.transaction() as connection:
        removed = rules_repo.delete_entry(connection, entry_id)
        audit_repo.record(connection, actor, "rules.delete", f"rule:{entry_id}",
                          _ENTRY.dump_python(removed, mode="json"))
