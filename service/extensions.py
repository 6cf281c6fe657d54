"""The service's long-lived objects, kept in app.extensions and created once per app."""

from __future__ import annotations

import logging

from flask import Flask, current_app
from redis import Redis

from moderation.active_model import ActiveModel
from moderation.instance import model_store
from moderation.jobs import JobRunner
from moderation.keys import KeyRing, stored_keys
from moderation.limits import RateLimiter, make_limiter
from moderation.moderate import Moderator
from moderation.privacy import IpPolicy, PurgeSchedule
from moderation.store import Database, StoreUnavailable
from moderation.validation import ValidationSettings

log = logging.getLogger(__name__)


def _keyring(app: Flask, database: Database) -> KeyRing:
    ring = KeyRing(app.config["SITE_KEYS"], app.config["MODERATOR_KEYS"], load=stored_keys(database),
                   ttl=app.config["MODEL_CHECK_SECONDS"])
    if not ring and database.ping():
        # Nothing runs open by accident.
        raise RuntimeError("No API keys: create them with `moderation keys create --role site` (and --role "
                           "moderator), or set MODERATION_SITE_KEYS and MODERATION_MODERATOR_KEYS.")
    return ring


def _database(app: Flask) -> Database:
    database = Database(app.config["DATABASE_URL"])
    try:
        # Refuses (SchemaOutdated, naming `moderation db upgrade`) a database the migrations have not reached.
        database.check_schema()
    except StoreUnavailable as error:
        # Start anyway: /readyz reports the database until it answers, and writes get 503s.
        log.error("database unavailable at start-up: %s", error)
    return database


def init_app(app: Flask) -> None:
    """Open the database, load the key ring and the active model (start-up, never import time)."""
    database = _database(app)
    active = ActiveModel(model_store(app.config), app.config["MODEL_CHECK_SECONDS"])
    active.load()
    app.extensions["moderation.database"] = database
    app.extensions["moderation.model"] = active
    app.extensions["moderation.keys"] = _keyring(app, database)
    limiter = make_limiter(database, app.config["REDIS_URL"], app.config["RATE_LIMITS"],
                           salt=app.config["SECRET_KEY"].encode())
    app.extensions["moderation.limits"] = limiter
    # For /readyz; short timeouts so that a probe answers even while Redis does not.
    app.extensions["moderation.redis"] = (
        Redis.from_url(app.config["REDIS_URL"], socket_connect_timeout=1, socket_timeout=1)
        if app.config["REDIS_URL"] else None)
    app.extensions["moderation.validation"] = ValidationSettings(
        max_comment_length=app.config["MAX_COMMENT_LENGTH"], check_deliverability=app.config["CHECK_DELIVERABILITY"])
    app.extensions["moderation.jobs"] = JobRunner(app.config, database)
    ip_policy = IpPolicy(app.config["STORE_IP"], app.config["SECRET_KEY"])
    app.extensions["moderation.moderator"] = Moderator(database, active, rules_ttl=app.config["MODEL_CHECK_SECONDS"],
                                                       overrides=app.config["THRESHOLDS"], limiter=limiter,
                                                       ip_policy=ip_policy)
    if app.config["PURGE_OLDER_THAN_DAYS"] is not None:
        schedule = PurgeSchedule(database, app.config["PURGE_OLDER_THAN_DAYS"],
                                 wake=app.extensions["moderation.jobs"].wake,
                                 check_seconds=app.config["PURGE_CHECK_SECONDS"])
        schedule.start()
        app.extensions["moderation.purge_schedule"] = schedule


def database() -> Database:
    """The database."""
    return current_app.extensions["moderation.database"]


def active_model() -> ActiveModel:
    """The holder of the serving model."""
    return current_app.extensions["moderation.model"]


def redis_client() -> Redis | None:
    """The configured Redis, or None."""
    return current_app.extensions["moderation.redis"]


def limiter() -> RateLimiter:
    """The rate limits."""
    return current_app.extensions["moderation.limits"]


def moderator() -> Moderator:
    """The one-pass moderator every front end submits to."""
    return current_app.extensions["moderation.moderator"]


def job_runner() -> JobRunner:
    """The job queue's web side: enqueues, and runs jobs in a thread unless a worker does."""
    return current_app.extensions["moderation.jobs"]


def webhooks_enabled() -> bool:
    """Whether status changes are delivered to a webhook (queued as jobs)."""
    return bool(current_app.config["WEBHOOK_URL"])
