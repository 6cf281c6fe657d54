"""Signed webhooks that tell the site when a comment's status changes; the job queue delivers them."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable

from pydantic import TypeAdapter

from moderation.schemas import ReviewRecord, Status, StoredComment, isoformat
from moderation.store.db import utcnow

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


class DeliveryFailed(Exception):
    """The receiver did not accept the event (a non-2xx answer)."""


def deliver(url: str, secret: str, event: dict, timeout: float = 5.0,
            post: Callable[[str, bytes, dict[str, str], float], int] = _post) -> int:
    """POST one signed event; returns the receiver's 2xx status, raises on anything else.

    Network errors and malformed answers raise too (OSError, http.client.HTTPException): the queue retries the
    delivery with backoff, so none of them loses the event.
    """
    body = json.dumps(event, separators=(",", ":")).encode()
    timestamp = str(int(time.time()))
    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(secret, timestamp, body),
               "User-Agent": "comment-moderation-webhooks/1"}
    try:
        status = post(url, body, headers, timeout)
    except urllib.error.HTTPError as error:
        status = error.code
    if not 200 <= status < 300:
        raise DeliveryFailed(f"the receiver answered {status}")
    return status
