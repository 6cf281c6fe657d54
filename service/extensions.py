"""The service's long-lived objects, kept in app.extensions and created once per app."""

from __future__ import annotations

import logging

from flask import Flask, current_app

from model import ModelStore
from moderation.active_model import ActiveModel
from moderation.checker import CommentChecker
from moderation.jobs import JobRunner
from moderation.keys import MODERATOR, SITE, KeyRing, load_or_create_instance_keys
from moderation.rules import Rules
from moderation.store import Store, StoreUnavailable
from moderation.webhooks import WebhookSender

log = logging.getLogger(__name__)


def _keyring(app: Flask) -> KeyRing:
    site, moderator = app.config["SITE_KEYS"], app.config["MODERATOR_KEYS"]
    if not site and not moderator and not app.testing:
        keys, _ = load_or_create_instance_keys(app.instance_path)
        site, moderator = keys.get(SITE, []), keys.get(MODERATOR, [])
    ring = KeyRing(site, moderator)
    if not ring:
        raise RuntimeError("No API keys are configured: set MODERATION_SITE_KEYS and MODERATION_MODERATOR_KEYS.")
    return ring


def init_app(app: Flask) -> None:
    """Open the database, load the key ring and the active model (start-up, never import time)."""
    store = Store(app.config["DATABASE_URL"])
    try:
        store.create_schema()
    except StoreUnavailable as error:
        # Start anyway: /readyz reports the database until it answers, and writes get 503s.
        log.error("database unavailable at start-up: %s", error)
    active = ActiveModel(ModelStore(app.config["MODEL_DIR"]), app.config["MODEL_CHECK_SECONDS"])
    active.load()
    app.extensions["moderation.store"] = store
    app.extensions["moderation.model"] = active
    app.extensions["moderation.keys"] = _keyring(app)
    app.extensions["moderation.jobs"] = JobRunner(app.config, store)
    app.extensions["moderation.rules"] = Rules(store.rule_config, ttl=app.config["MODEL_CHECK_SECONDS"])
    app.extensions["moderation.checker"] = CommentChecker(store, active, app.extensions["moderation.rules"],
                                                          app.config["THRESHOLDS"])
    app.extensions["moderation.webhooks"] = (
        WebhookSender(app.config["WEBHOOK_URL"], app.config["WEBHOOK_SECRET"]) if app.config["WEBHOOK_URL"]
        else NoWebhooks()
    )


class NoWebhooks:
    """Stands in for WebhookSender when no webhook URL is configured."""

    def send(self, event: dict) -> None:
        """Drop the event."""


def store() -> Store:
    """The comments store."""
    return current_app.extensions["moderation.store"]


def active_model() -> ActiveModel:
    """The holder of the serving model."""
    return current_app.extensions["moderation.model"]


def checker() -> CommentChecker:
    """The comment checker every front end submits to."""
    return current_app.extensions["moderation.checker"]


def rules() -> Rules:
    """The rules cache."""
    return current_app.extensions["moderation.rules"]


def job_runner() -> JobRunner:
    """The background job runner."""
    return current_app.extensions["moderation.jobs"]


def webhooks() -> WebhookSender | NoWebhooks:
    """The webhook sender (a no-op when none is configured)."""
    return current_app.extensions["moderation.webhooks"]
