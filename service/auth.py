"""Bearer-key authentication for the API."""

from __future__ import annotations

from flask import current_app, request

from moderation.keys import MODERATOR, SITE, ApiKey, KeyRing
from service.errors import ApiError

_ALLOWED = {SITE: {SITE, MODERATOR}, MODERATOR: {MODERATOR}}


def keyring() -> KeyRing:
    """The app's key ring."""
    return current_app.extensions["moderation.keys"]


def bearer_token() -> str | None:
    """The token from `Authorization: Bearer <token>`, if present."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def authenticate(token: str | None, role: str) -> ApiKey:
    """The key for token if it may act as role; otherwise a 401 or 403 problem."""
    key = keyring().authenticate(token)
    if key is None:
        raise ApiError(401, "Unauthorized", "A valid API key is required: send `Authorization: Bearer <key>`.",
                       headers={"WWW-Authenticate": 'Bearer realm="moderation"'})
    if key.role not in _ALLOWED[role]:
        raise ApiError(403, "Forbidden", f"This endpoint needs a {role} key.")
    return key


def key_by_id(key_id: str) -> ApiKey | None:
    """The key with this public id, if it is still valid (a signed-in session re-checks it on every request)."""
    return keyring().find(key_id)
