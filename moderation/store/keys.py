"""The API keys repository: keys created with `moderation keys create`, stored as SHA-256 digests only."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.engine import Connection, Row

from moderation.schemas import KeyInfo
from moderation.store.db import as_utc, utcnow
from moderation.store.tables import api_keys

_K = api_keys.c


def _info(row: Row) -> KeyInfo:
    return KeyInfo(id=row.id, role=row.role, name=row.name, akismet_only=row.akismet_only,
                   created_at=as_utc(row.created_at), created_by=row.created_by, revoked_at=as_utc(row.revoked_at))


def insert(connection: Connection, key_id: str, role: str, name: str, secret_sha256: str, akismet_only: bool,
           actor: str) -> KeyInfo:
    """Store a new key's digest."""
    connection.execute(api_keys.insert(), {"id": key_id, "role": role, "name": name, "secret_sha256": secret_sha256,
                                           "akismet_only": akismet_only, "created_at": utcnow(), "created_by": actor})
    return _info(connection.execute(select(api_keys).where(_K.id == key_id)).one())


def active(connection: Connection) -> list[tuple[str, KeyInfo]]:
    """(digest, key) of every key that is not revoked."""
    rows = connection.execute(select(api_keys).where(_K.revoked_at.is_(None)))
    return [(row.secret_sha256, _info(row)) for row in rows]


def every(connection: Connection) -> list[KeyInfo]:
    """Every key, revoked ones too, oldest first."""
    return [_info(row) for row in connection.execute(select(api_keys).order_by(_K.created_at, _K.id))]


def revoke(connection: Connection, key_id: str) -> bool:
    """Revoke a key; False if there is no such active key."""
    result = connection.execute(api_keys.update().where(_K.id == key_id, _K.revoked_at.is_(None))
                                .values(revoked_at=utcnow()))
    return result.rowcount == 1
