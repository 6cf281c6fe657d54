"""API keys: site keys submit comments, moderator keys do everything. Compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

SITE, MODERATOR = "site", "moderator"
KEYS_FILE = "keys.json"


@dataclass(frozen=True)
class ApiKey:
    """A known key: a public id (for audit logs) and its role. The secret itself is not kept."""

    id: str
    role: str


def key_id(role: str, secret: str) -> str:
    """A stable, non-secret id for a key: its role and a short hash."""
    return f"{role}-{hashlib.sha256(secret.encode()).hexdigest()[:10]}"


def split_keys(value: str | None) -> list[str]:
    """Keys from a comma-separated setting, blanks dropped."""
    return [k.strip() for k in (value or "").split(",") if k.strip()]


class KeyRing:
    """Looks up the key behind a bearer token without leaking timing."""

    def __init__(self, site_keys: list[str], moderator_keys: list[str]):
        self._entries = [
            (hashlib.sha256(secret.encode()).digest(), ApiKey(key_id(role, secret), role))
            for role, keys in ((SITE, site_keys), (MODERATOR, moderator_keys))
            for secret in keys
        ]

    def __bool__(self) -> bool:
        return bool(self._entries)

    def authenticate(self, token: str | None) -> ApiKey | None:
        """The key matching token, or None. Every stored key is compared, whatever matches first."""
        if not token:
            return None
        digest = hashlib.sha256(token.encode("utf-8", "surrogateescape")).digest()
        found = None
        for stored, key in self._entries:
            if hmac.compare_digest(stored, digest):
                found = key
        return found

    def find(self, key_id: str) -> ApiKey | None:
        """The key with this public id, if it is (still) one of ours."""
        return next((key for _, key in self._entries if key.id == key_id), None)


def load_or_create_instance_keys(instance_path: str | os.PathLike) -> tuple[dict[str, list[str]], bool]:
    """Keys kept in the instance folder, generated on first use; returns (keys, created)."""
    path = Path(instance_path) / KEYS_FILE
    if path.exists():
        return json.loads(path.read_text()), False
    keys = {SITE: [secrets.token_urlsafe(32)], MODERATOR: [secrets.token_urlsafe(32)]}
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump(keys, handle, indent=2)
    return keys, True
