"""Signed webhooks that tell the site when a comment's status changes, delivered off the request path."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import queue
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable

from pydantic import TypeAdapter

from moderation.schemas import ReviewRecord, Status, StoredComment, isoformat
from moderation.store.db import utcnow

log = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-Moderation-Signature"
_REVIEW = TypeAdapter(ReviewRecord | None)


def status_changed(comment: StoredComment, previous: Status) -> dict:
    """The event a site receives when a review changes a comment's status."""
    return {"type": "comment.status_changed", "comment_id": comment.id, "status": comment.status,
            "previous_status": previous, "review": _REVIEW.dump_python(comment.review, mode="json"),
            "at": isoformat(utcnow())}


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header value: HMAC-SHA256 over "<timestamp>.<body>", as t=<timestamp>,v1=<hex>."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: str, header: str, body: bytes, tolerance: float = 300.0, now: float | None = None) -> bool:
    """Whether a signature header is valid for body and recent (what a receiving site should run)."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    timestamp = parts.get("t", "")
    if not timestamp.isdigit() or abs((now or time.time()) - int(timestamp)) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), header)


def _post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 (configured URL)
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        return response.status


class WebhookSender:
    """A background thread that posts events with retries and exponential backoff.

    Deliveries live in memory: a process that stops drops what it has not sent yet.
    """

    def __init__(self, url: str, secret: str, attempts: int = 5, backoff: float = 1.0, timeout: float = 5.0,
                 post: Callable[[str, bytes, dict[str, str], float], int] = _post):
        self.url, self.secret = url, secret
        self.attempts, self.backoff, self.timeout = attempts, backoff, timeout
        self._post = post
        self._queue: queue.Queue[dict | None] = queue.Queue(maxsize=10_000)
        self._thread = threading.Thread(target=self._run, name="webhooks", daemon=True)
        self._thread.start()

    def send(self, event: dict) -> None:
        """Queue an event; never blocks and never raises."""
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            log.error("webhook queue full, dropping %s", event.get("type"))

    def close(self, timeout: float = 5.0) -> None:
        """Stop after the events already queued."""
        self._queue.put(None)
        self._thread.join(timeout)

    def _run(self) -> None:
        while (event := self._queue.get()) is not None:
            self._deliver(event)

    def _deliver(self, event: dict) -> None:
        body = json.dumps(event, separators=(",", ":")).encode()
        for attempt in range(1, self.attempts + 1):
            timestamp = str(int(time.time()))
            headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(self.secret, timestamp, body),
                       "User-Agent": "comment-moderation-webhooks/1"}
            try:
                status = self._post(self.url, body, headers, self.timeout)
                if 200 <= status < 300:
                    return
                log.warning("webhook %s answered %s (attempt %d)", event.get("type"), status, attempt)
            except (OSError, urllib.error.URLError) as error:
                log.warning("webhook %s failed: %s (attempt %d)", event.get("type"), error, attempt)
            if attempt < self.attempts:
                time.sleep(self.backoff * 2 ** (attempt - 1))
        log.error("webhook %s gave up after %d attempts", event.get("type"), self.attempts)
