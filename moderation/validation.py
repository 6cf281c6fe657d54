"""Validating input against its schema, with every failing field named in one error.

The schemas are pydantic models (moderation/schemas.py); the HTTP API, the Akismet and Perspective front ends,
the dashboard and `moderation import` all validate through validate(), so a comment is checked the same way
wherever it comes from.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

T = TypeVar("T", bound=BaseModel)
BODY = "_body"


class ValidationFailed(Exception):
    """Raised with every field error at once: {field: [messages]}."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{field}: {', '.join(msgs)}" for field, msgs in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class ValidationSettings:
    """Limits that a deployment can change; validators read them from the validation context."""

    max_comment_length: int = 10_000
    check_deliverability: bool = False


DEFAULT_SETTINGS = ValidationSettings()


def settings_from(info) -> ValidationSettings:
    """The ValidationSettings a validator runs under (the defaults when none were given)."""
    return info.context if isinstance(info.context, ValidationSettings) else DEFAULT_SETTINGS


_TAG_ERRORS = ("union_tag_invalid", "union_tag_not_found")


def _message(error: dict) -> str:
    kind = error["type"]
    if kind == "value_error":
        return str(error["ctx"]["error"])
    if kind == "missing":
        return "This field is required."
    if kind == "extra_forbidden":
        return "Unknown field."
    if kind in _TAG_ERRORS:
        expected = error["ctx"].get("expected_tags")
        return f"Must be one of {expected}." if expected else "This field is required."
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return "Must be an object."
    return error["msg"].rstrip(".") + "."


def field_errors(error: ValidationError, tagged_union: bool = False) -> dict[str, list[str]]:
    """{field path: [messages]} from a pydantic error, in the problem+json `errors` shape.

    A discriminated union (tagged_union) puts the matched tag first in each location ("word", "value"); the
    field a client sent is what follows it.
    """
    errors: dict[str, list[str]] = {}
    for item in error.errors(include_url=False, include_input=False):
        loc = [str(part) for part in item["loc"]]
        if item["type"] in _TAG_ERRORS:
            loc.append(item["ctx"]["discriminator"].strip("'"))
        elif tagged_union and loc:
            loc = loc[1:]
        messages = errors.setdefault(".".join(loc) or BODY, [])
        if (message := _message(item)) not in messages:
            messages.append(message)
    return errors


def validate(model: type[T], data: Any, settings: ValidationSettings | None = None) -> T:
    """data as a valid model instance, or ValidationFailed naming every bad field."""
    try:
        return model.model_validate(data, context=settings or DEFAULT_SETTINGS)
    except ValidationError as error:
        raise ValidationFailed(field_errors(error, getattr(model, "tagged_union", False))) from None


def is_control(ch: str) -> bool:
    """Control and format characters, which have no place in submitted text.

    Format characters (Cf) include bidi overrides and zero-width spaces used to hide text; the zero-width
    joiner is allowed because emoji sequences need it.
    """
    return unicodedata.category(ch) in ("Cc", "Cf", "Cs") and ch not in "\n\t\u200d"


def clean_text(text: str) -> str:
    """NFC, newlines unified, control, format and lone surrogate characters removed, trimmed."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    if text.isascii() and text.isprintable():
        return text.strip()
    return "".join(ch for ch in text if not is_control(ch)).strip()
