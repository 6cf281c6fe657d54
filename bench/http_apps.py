"""The two reference endpoints that `make bench-http` puts next to the service, each served by gunicorn.

    gunicorn 'bench.http_apps:ceiling_app()'   # parse, authenticate, validate, answer 201
    gunicorn 'bench.http_apps:peer_app()'      # ... and score the comment with alt-profanity-check

Both read the site keys from MODERATION_SITE_KEYS and validate the fields as the service does (name, email with
email-validator, comment, ip), but on their own: they import nothing from service/, moderation/ or model/, so
that they measure the same thing whatever those packages become.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import unicodedata
import uuid
from collections.abc import Callable
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask import Flask, request

NAME_MAX = 100
COMMENT_MAX = 10_000


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n"))
    return "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf") or ch in "\n\t").strip()


def validate(body: Any) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The normalised fields and every field error, as the service checks them."""
    if not isinstance(body, dict):
        return {}, {"body": ["The JSON body must be an object."]}
    fields: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    for field in ("name", "email", "comment"):
        value = body.get(field)
        if not isinstance(value, str) or not value.strip():
            errors[field] = ["This field is required."]
    if "name" not in errors:
        fields["name"] = unicodedata.normalize("NFC", body["name"].strip())
        if len(fields["name"]) > NAME_MAX or any(unicodedata.category(ch) in ("Cc", "Cf") for ch in fields["name"]):
            errors["name"] = [f"Must be 1 to {NAME_MAX} characters with no control characters."]
    if "email" not in errors:
        try:
            fields["email"] = validate_email(body["email"].strip(), check_deliverability=False).normalized
        except EmailNotValidError as error:
            errors["email"] = [str(error)]
    if "comment" not in errors:
        fields["comment"] = _clean(body["comment"])
        if not 1 <= len(fields["comment"]) <= COMMENT_MAX:
            errors["comment"] = [f"Must be 1 to {COMMENT_MAX} characters after trimming."]
    if body.get("ip"):
        try:
            fields["ip"] = str(ipaddress.ip_address(str(body["ip"]).strip()))
        except ValueError:
            errors["ip"] = ["Must be an IPv4 or IPv6 address."]
    return fields, errors


def _endpoint(name: str, score: Callable[[str], dict[str, float]]) -> Flask:
    app = Flask(name)
    keys = [key.strip().encode() for key in os.environ.get("MODERATION_SITE_KEYS", "").split(",") if key.strip()]
    if not keys:
        raise RuntimeError("Set MODERATION_SITE_KEYS: the reference endpoints authenticate like the service.")

    @app.post("/v1/comments")
    def create_comment():
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").encode()
        if not any(hmac.compare_digest(given, key) for key in keys):
            return {"title": "Unauthorized", "status": 401}, 401, {"WWW-Authenticate": "Bearer"}
        body = request.get_json(silent=True)
        fields, errors = validate(body)
        if errors:
            return {"title": "Unprocessable Content", "status": 422, "errors": errors}, 422
        return {"id": uuid.uuid4().hex, "decision": "accept", "scores": score(fields["comment"])}, 201

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    return app


def ceiling_app() -> Flask:
    """The ceiling: authenticate, parse and validate the comment, answer 201 with a small JSON body."""
    return _endpoint("bench-ceiling", lambda comment: {})


def peer_app() -> Flask:
    """The in-process peer: the ceiling plus one alt-profanity-check score of the comment."""
    from profanity_check import predict_prob  # the `bench` extra; loads its model once per worker

    return _endpoint("bench-peer", lambda comment: {"profanity": round(float(predict_prob([comment])[0]), 4)})
