"""Request ids, the access log and request metrics: hooks around every request."""

from __future__ import annotations

import hmac
import logging
import time

from flask import Flask, Response, current_app, g, request

from moderation.keys import MODERATOR
from moderation.logs import accepted_request_id, request_id
from moderation.metrics import record_request
from service.auth import authenticate, bearer_token

REQUEST_ID_HEADER = "X-Request-ID"
access_log = logging.getLogger("moderation.access")


def _start() -> None:
    g.started = time.perf_counter()
    g.request_id = accepted_request_id(request.headers.get(REQUEST_ID_HEADER))
    request_id.set(g.request_id)


def _finish(response: Response) -> Response:
    seconds = time.perf_counter() - g.get("started", time.perf_counter())
    # The route, never the path: one series per endpoint however many ids and unknown paths clients send.
    endpoint = request.url_rule.rule if request.url_rule is not None else "unmatched"
    record_request(endpoint, request.method, response.status_code, seconds)
    response.headers[REQUEST_ID_HEADER] = g.get("request_id", "")
    # The path only: query strings carry keys (Perspective's ?key=), and no body is ever logged.
    access_log.info("%s %s %s", request.method, endpoint, response.status_code, extra={
        "request_id": g.get("request_id", ""), "method": request.method, "path": request.path[:300],
        "endpoint": endpoint, "status": response.status_code, "duration_ms": round(seconds * 1000, 2)})
    return response


def _teardown(_error: BaseException | None) -> None:
    request_id.set("")


def authorise_scrape() -> None:
    """Let a scrape through with the metrics key (when one is configured) or a moderator key; otherwise the
    401 or 403 problem of any moderator endpoint."""
    token = bearer_token()
    metrics_key = current_app.config.get("METRICS_KEY") or ""
    if metrics_key and token and hmac.compare_digest(token.encode(), metrics_key.encode()):
        return
    g.api_key = authenticate(token, MODERATOR)


def init_app(app: Flask) -> None:
    """Give every request an id (the client's X-Request-ID when well formed), echo it, log and count it."""
    app.before_request(_start)
    app.after_request(_finish)
    app.teardown_request(_teardown)
