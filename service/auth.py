"""Bearer-key authentication for the API."""

from __future__ import annotations

from flask import current_app, request

from moderation.keys import MODERATOR, SITE, ApiKey, KeyRing
from moderation.limits import AUTH_FAILURES, KEY
from service.errors import ApiError

_ALLOWED = {SITE: {SITE, MODERATOR}, MODERATOR: {MODERATOR}}


def keyring() -> KeyRing:
    """The app's key ring."""
    return current_app.extensions["moderation.keys"]


def bearer_token() -> str | None:
    """The token from `Authorization: Bearer <token>`, if present."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def authenticate(token: str | None, role: str, akismet: bool = False) -> ApiKey:
    """The key for token if it may act as role (an Akismet-only key only where akismet is true); otherwise a 401
    or 403 problem. Every call counts toward the key's rate limit, every failure toward the client's."""
    key = keyring().authenticate(token)
    if key is None or (key.akismet_only and not akismet):
        current_app.extensions["moderation.limits"].hit((AUTH_FAILURES, request.remote_addr or ""))
        raise ApiError(401, "Unauthorized", "A valid API key is required: send `Authorization: Bearer <key>`.",
                       headers={"WWW-Authenticate": 'Bearer realm="moderation"'})
    if key.role not in _ALLOWED[role]:
        raise ApiError(403, "Forbidden", f"This endpoint needs a {role} key.")
    current_app.extensions["moderation.limits"].hit((KEY, key.id))
    return key


def key_by_id(key_id: str) -> ApiKey | None:
    """The key with this public id, if it is still valid (a signed-in session re-checks it on every request)."""
    return keyring().find(key_id)
