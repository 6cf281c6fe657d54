"""Request parsing: JSON or form bodies in, validated domain objects out, problems for anything else."""

from __future__ import annotations

from typing import Any

from flask import current_app, request

from moderation.validation import CommentInput, ValidationFailed, ValidationSettings, validate_comment
from service.errors import ApiError, invalid_fields

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def request_body() -> dict[str, Any]:
    """The request body as a dict, from JSON or a form; 400 if it is neither or malformed."""
    mimetype = request.mimetype
    if mimetype == "application/json" or mimetype.endswith("+json"):
        data = request.get_json(silent=True)
        if data is None:
            raise ApiError(400, "Bad Request", "The body is not valid JSON.", slug="malformed-json")
        if not isinstance(data, dict):
            raise ApiError(400, "Bad Request", "The JSON body must be an object.", slug="malformed-json")
        return data
    if mimetype in FORM_TYPES:
        return request.form.to_dict()
    raise ApiError(400, "Bad Request",
                   "Send the body as application/json or application/x-www-form-urlencoded.",
                   slug="unsupported-content-type")


def int_query_arg(name: str, default: int, low: int, high: int, errors: dict[str, list[str]] | None = None) -> int:
    """A whole-number query parameter within [low, high]. Out of range or not a number, it is a 422 at once,
    or, when errors is given, an entry there (and default is returned) so that every field can be reported."""
    value = request.args.get(name, str(default))
    if value.isdigit() and low <= int(value) <= high:
        return int(value)
    message = [f"Must be a whole number from {low} to {high}."]
    if errors is None:
        raise invalid_fields({name: message})
    errors[name] = message
    return default


def validation_settings() -> ValidationSettings:
    """The app's validation limits."""
    return ValidationSettings(max_comment_length=current_app.config["MAX_COMMENT_LENGTH"],
                              check_deliverability=current_app.config["CHECK_DELIVERABILITY"])


def parse_comment(data: dict[str, Any]) -> CommentInput:
    """A validated comment, or a 422 problem naming every failing field."""
    try:
        return validate_comment(data, validation_settings())
    except ValidationFailed as failure:
        raise invalid_fields(failure.errors) from None
