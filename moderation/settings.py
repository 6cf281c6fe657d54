"""Every setting, its default, and the environment variable that overrides it (the README lists them)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from moderation.keys import split_keys
from moderation.limits import DEFAULT_LIMITS, parse_limits
from moderation.privacy import IP_MODES, parse_age

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class SettingsError(ValueError):
    """An environment variable holds a value that cannot be used."""


def instance_path(environ: Mapping[str, str] = os.environ) -> Path:
    """Where local state lives: the SQLite database, generated keys and the model store."""
    return Path(environ.get("MODERATION_INSTANCE_PATH") or PROJECT_ROOT / "instance").resolve()


def defaults(instance: Path) -> dict[str, Any]:
    """Settings before the environment is read."""
    return {
        "DATABASE_URL": f"sqlite:///{instance / 'moderation.db'}",
        "MODEL_DIR": str(instance / "models"),
        "TRAINING_DATA_DIR": str(PROJECT_ROOT / "training_data"),
        "SITE_KEYS": [],
        "MODERATOR_KEYS": [],
        "MAX_CONTENT_LENGTH": 1_000_000,
        "MAX_COMMENT_LENGTH": 10_000,
        "MAX_BATCH_ITEMS": 1_000,
        "CHECK_DELIVERABILITY": False,
        "THRESHOLDS": {},
        "MODEL_CHECK_SECONDS": 2.0,
        "LABEL_WEIGHT": 5.0,
        "REPORT_WEIGHT": 1.0,
        "IMPORT_WEIGHT": 1.0,
        "REPORT_KEY_SHARE": 0.02,
        "PROMOTION_TOLERANCE": 0.005,
        "WEBHOOK_URL": "",
        "WEBHOOK_SECRET": "",
        # Whether this process runs the jobs it queues (training, webhook deliveries) in a thread
        # (MODERATION_JOBS=inline); off (MODERATION_JOBS=worker) where `moderation worker` processes run them.
        "RUN_JOBS": True,
        "WEBHOOK_ATTEMPTS": 5,
        "WEBHOOK_BACKOFF": 1.0,
        "JOB_STALE_SECONDS": 60.0,
        "WORKER_POLL_SECONDS": 1.0,
        "REDIS_URL": "",
        "RATE_LIMITS": dict(DEFAULT_LIMITS),
        "TRUSTED_PROXIES": 0,
        # A bearer token that may read /metrics only (a moderator key always may).
        "METRICS_KEY": "",
        # How commenters' addresses are stored: hash (keyed by the instance secret), plain or none.
        "STORE_IP": "hash",
        # Purge rejected and spam comments older than this many days, daily (None: never on a schedule).
        "PURGE_OLDER_THAN_DAYS": None,
        "PURGE_CHECK_SECONDS": 600.0,
        # The dashboard's session cookie: always Secure when set (otherwise Secure on HTTPS requests), and how
        # long a sign-in lasts.
        "SESSION_COOKIE_SECURE": False,
        "DASHBOARD_SESSION_HOURS": 12.0,
    }


def _number(environ: Mapping[str, str], name: str, kind: type, low: float, high: float):
    raw = environ[name]
    try:
        value = kind(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a {kind.__name__}") from None
    if not low <= value <= high:
        raise SettingsError(f"{name}={raw!r} must be between {low} and {high}")
    return value


def _boolean(environ: Mapping[str, str], name: str) -> bool:
    raw = environ[name].strip().lower()
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off", ""):
        return False
    raise SettingsError(f"{name}={environ[name]!r} is not a boolean (true/false)")


def from_env(environ: Mapping[str, str] = os.environ) -> dict[str, Any]:
    """Settings: defaults overridden by whatever the environment sets."""
    settings = defaults(instance_path(environ))
    simple = {"DATABASE_URL": "DATABASE_URL", "MODERATION_MODEL_DIR": "MODEL_DIR",
              "MODERATION_TRAINING_DATA": "TRAINING_DATA_DIR", "MODERATION_WEBHOOK_URL": "WEBHOOK_URL",
              "MODERATION_WEBHOOK_SECRET": "WEBHOOK_SECRET", "REDIS_URL": "REDIS_URL",
              "MODERATION_METRICS_KEY": "METRICS_KEY"}
    for variable, key in simple.items():
        if environ.get(variable):
            settings[key] = environ[variable]
    if environ.get("MODERATION_SITE_KEYS"):
        settings["SITE_KEYS"] = split_keys(environ["MODERATION_SITE_KEYS"])
    if environ.get("MODERATION_MODERATOR_KEYS"):
        settings["MODERATOR_KEYS"] = split_keys(environ["MODERATION_MODERATOR_KEYS"])
    numbers = {
        "MODERATION_MAX_BODY_BYTES": ("MAX_CONTENT_LENGTH", int, 1_000, 100_000_000),
        "MODERATION_MAX_COMMENT_LENGTH": ("MAX_COMMENT_LENGTH", int, 1, 1_000_000),
        "MODERATION_MODEL_CHECK_SECONDS": ("MODEL_CHECK_SECONDS", float, 0.1, 3600),
        "MODERATION_LABEL_WEIGHT": ("LABEL_WEIGHT", float, 0.1, 1000),
        "MODERATION_REPORT_WEIGHT": ("REPORT_WEIGHT", float, 0.0, 1000),
        "MODERATION_IMPORT_WEIGHT": ("IMPORT_WEIGHT", float, 0.0, 1000),
        "MODERATION_REPORT_KEY_SHARE": ("REPORT_KEY_SHARE", float, 0.0, 1.0),
        "MODERATION_PROMOTION_TOLERANCE": ("PROMOTION_TOLERANCE", float, 0.0, 0.5),
        "MODERATION_TRUSTED_PROXIES": ("TRUSTED_PROXIES", int, 0, 10),
        "MODERATION_DASHBOARD_SESSION_HOURS": ("DASHBOARD_SESSION_HOURS", float, 0.05, 24 * 30),
        "MODERATION_WEBHOOK_ATTEMPTS": ("WEBHOOK_ATTEMPTS", int, 1, 100),
        "MODERATION_WEBHOOK_BACKOFF_SECONDS": ("WEBHOOK_BACKOFF", float, 0.01, 3600),
        "MODERATION_JOB_STALE_SECONDS": ("JOB_STALE_SECONDS", float, 15, 86400),
        "MODERATION_WORKER_POLL_SECONDS": ("WORKER_POLL_SECONDS", float, 0.05, 60),
    }
    for variable, (key, kind, low, high) in numbers.items():
        if environ.get(variable):
            settings[key] = _number(environ, variable, kind, low, high)
    if environ.get("MODERATION_SECURE_COOKIES"):
        settings["SESSION_COOKIE_SECURE"] = _boolean(environ, "MODERATION_SECURE_COOKIES")
    if environ.get("MODERATION_JOBS"):
        mode = environ["MODERATION_JOBS"].strip().lower()
        if mode not in ("inline", "worker"):
            raise SettingsError(f"MODERATION_JOBS={environ['MODERATION_JOBS']!r} must be inline or worker")
        settings["RUN_JOBS"] = mode == "inline"
    if environ.get("MODERATION_CHECK_DELIVERABILITY"):
        settings["CHECK_DELIVERABILITY"] = _boolean(environ, "MODERATION_CHECK_DELIVERABILITY")
    thresholds: dict[str, dict[str, float]] = {}
    for label in ("spam", "toxicity"):
        for action in ("hold_at", "reject_at"):
            variable = f"MODERATION_{label.upper()}_{action.upper()}"
            if environ.get(variable):
                thresholds.setdefault(label, {})[action] = _number(environ, variable, float, 0.0, 1.0)
    settings["THRESHOLDS"] = thresholds
    for name in DEFAULT_LIMITS:
        variable = f"MODERATION_RATE_LIMIT_{name.upper()}"
        if variable in environ:
            try:
                parse_limits(environ[variable])
            except ValueError:
                raise SettingsError(f"{variable}={environ[variable]!r} is not a list of limits such as "
                                    "'10/minute;100/hour' (empty turns it off)") from None
            settings["RATE_LIMITS"][name] = environ[variable]
    if environ.get("MODERATION_STORE_IP"):
        mode = environ["MODERATION_STORE_IP"].strip().lower()
        if mode not in IP_MODES:
            raise SettingsError(f"MODERATION_STORE_IP={environ['MODERATION_STORE_IP']!r} must be one of "
                                f"{', '.join(IP_MODES)}")
        settings["STORE_IP"] = mode
    if environ.get("MODERATION_PURGE_OLDER_THAN"):
        try:
            settings["PURGE_OLDER_THAN_DAYS"] = parse_age(environ["MODERATION_PURGE_OLDER_THAN"])
        except ValueError:
            raise SettingsError(f"MODERATION_PURGE_OLDER_THAN={environ['MODERATION_PURGE_OLDER_THAN']!r} is not "
                                "an age in days such as '30d'") from None
    if settings["WEBHOOK_URL"] and not settings["WEBHOOK_SECRET"]:
        raise SettingsError("MODERATION_WEBHOOK_URL needs MODERATION_WEBHOOK_SECRET to sign its deliveries")
    return settings
