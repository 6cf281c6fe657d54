"""API keys: site keys submit comments, moderator keys do everything. Compared in constant time.

Keys come from the environment (MODERATION_SITE_KEYS, MODERATION_MODERATOR_KEYS) or from the database, where
`moderation keys create` stores only a SHA-256 of each; the secret is shown once, when it is created.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from moderation.schemas import KeyInfo
from moderation.store import Database, StoreUnavailable
from moderation.store import audit as audit_repo
from moderation.store import keys as keys_repo

SITE, MODERATOR = "site", "moderator"
ROLES = (SITE, MODERATOR)
# Releases before keys lived in the database kept them in plain text here; `moderation init` moves them.
LEGACY_KEYS_FILE = "keys.json"


@dataclass(frozen=True)
class ApiKey:
    """A known key: a public id (for audit logs), its role, and whether it opens the Akismet endpoints only."""

    id: str
    role: str
    akismet_only: bool = False


def digest(secret: str) -> str:
    """The SHA-256 of a key, as stored (keys are long random tokens: a plain hash cannot be reversed)."""
    return hashlib.sha256(secret.encode("utf-8", "surrogateescape")).hexdigest()


def key_id(role: str, secret: str) -> str:
    """A stable, non-secret id for a key: its role and a short hash."""
    return f"{role}-{digest(secret)[:10]}"


def split_keys(value: str | None) -> list[str]:
    """Keys from a comma-separated setting, blanks dropped."""
    return [k.strip() for k in (value or "").split(",") if k.strip()]


def new_secret(akismet: bool = False) -> str:
    """A new key: 43 URL-safe characters, or 12 hexadecimal ones for Akismet's settings screen, which accepts
    nothing else."""
    return secrets.token_hex(6) if akismet else secrets.token_urlsafe(32)


class KeyRing:
    """Every valid key, from the environment and the database, looked up without leaking timing.

    The database's keys are re-read every `ttl` seconds, so a key revoked on one worker stops working on every
    worker and replica within seconds.
    """

    def __init__(self, site_keys: list[str], moderator_keys: list[str],
                 load: Callable[[], list[tuple[str, KeyInfo]]] | None = None, ttl: float = 2.0):
        self._configured = [(bytes.fromhex(digest(secret)), ApiKey(key_id(role, secret), role))
                            for role, keys in ((SITE, site_keys), (MODERATOR, moderator_keys)) for secret in keys]
        self._load = load
        self.ttl = ttl
        self._stored: list[tuple[bytes, ApiKey]] = []
        self._loaded_at = float("-inf")
        self._lock = threading.Lock()

    def _entries(self) -> list[tuple[bytes, ApiKey]]:
        if self._load is not None and time.monotonic() - self._loaded_at >= self.ttl and \
                self._lock.acquire(blocking=False):
            try:
                self._stored = [(bytes.fromhex(stored), ApiKey(info.id, info.role, info.akismet_only))
                                for stored, info in self._load()]
                self._loaded_at = time.monotonic()
            except StoreUnavailable:
                pass  # keep the keys last read; the database will answer again
            finally:
                self._lock.release()
        return self._configured + self._stored

    def __bool__(self) -> bool:
        return bool(self._entries())

    def authenticate(self, token: str | None) -> ApiKey | None:
        """The key matching token, or None. Every key is compared, whatever matches first."""
        if not token:
            return None
        presented = bytes.fromhex(digest(token))
        found = None
        for stored, key in self._entries():
            if hmac.compare_digest(stored, presented):
                found = key
        return found

    def find(self, key_id: str) -> ApiKey | None:
        """The key with this public id, if it is (still) one of ours."""
        return next((key for _, key in self._entries() if key.id == key_id), None)


def stored_keys(database: Database) -> Callable[[], list[tuple[str, KeyInfo]]]:
    """A loader of the database's active keys, for KeyRing."""

    def load() -> list[tuple[str, KeyInfo]]:
        with database.reading() as connection:
            return keys_repo.active(connection)

    return load


def create_key(database: Database, role: str, actor: str, name: str = "", akismet: bool = False,
               secret: str | None = None) -> tuple[str, KeyInfo]:
    """Create a key and return (its secret, its record); only the secret's digest is stored."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if akismet and role != SITE:
        raise ValueError("Akismet keys are site keys")
    secret = secret or new_secret(akismet)
    with database.transaction() as connection:
        info = keys_repo.insert(connection, key_id(role, secret), role, name, digest(secret), akismet, actor)
        audit_repo.record(connection, actor, "key.create", info.id, {"role": role, "name": name, "akismet": akismet})
    return secret, info


def revoke_key(database: Database, key: str, actor: str) -> bool:
    """Revoke a key by its id; False if no such key is active."""
    with database.transaction() as connection:
        revoked = keys_repo.revoke(connection, key)
        if revoked:
            audit_repo.record(connection, actor, "key.revoke", key, {})
    return revoked


def list_keys(database: Database) -> list[KeyInfo]:
    """Every key created in the database, revoked ones too."""
    with database.reading() as connection:
        return keys_repo.every(connection)


def legacy_keys_file(instance: str | Path) -> Path:
    """Where releases before hashed keys kept them."""
    return Path(instance) / LEGACY_KEYS_FILE
