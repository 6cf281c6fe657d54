"""Structured logs: one JSON object per line, carrying the id of the request being served.

Every value goes through json.dumps (with ensure_ascii), so text a commenter or client chose can never break a
line, forge another record or smuggle terminal escapes, whatever a message interpolates.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import secrets
import sys
from datetime import UTC, datetime

# The id of the request this thread is serving ("" outside a request); set by the HTTP layer.
request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
# What a client may send as X-Request-ID: bounded, and characters that need no escaping in any log or header.
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9._:@+=/-]{1,128}")
_STANDARD_ATTRIBUTES = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


def accepted_request_id(incoming: str | None) -> str:
    """The client's request id when it is well formed, otherwise a new random one."""
    if incoming and REQUEST_ID_PATTERN.fullmatch(incoming):
        return incoming
    return secrets.token_hex(16)


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object: time, level, logger, message, request id, and any `extra` fields."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as a single line of JSON."""
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        # A record may carry its request id (the access log does); others are stamped with the current one.
        current = getattr(record, "request_id", None) or request_id.get()
        if current:
            entry["request_id"] = current
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRIBUTES and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=True)


_HANDLER_NAME = "moderation.json"


def configure(level: int = logging.INFO) -> None:
    """Send the root logger's records to stderr as JSON lines (once per process; a host that configured logging
    already, such as pytest or a gunicorn logconfig, keeps its handlers)."""
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.set_name(_HANDLER_NAME)
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
    root.setLevel(level)
    # Alembic narrates every start-up's schema check; only its warnings belong in the service's log.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # The development server's request lines carry query strings (Perspective clients send ?key=): the
    # service writes its own access log instead (moderation.access).
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
