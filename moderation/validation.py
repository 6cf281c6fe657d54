"""Validation and normalisation of a submitted comment, with every failing field named."""

from __future__ import annotations

import ipaddress
import unicodedata
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email

from model.corpus import CATEGORIES

NAME_MAX = 100
URL_MAX = 2048
ID_MAX = 200
USER_AGENT_MAX = 1000
OPTIONAL_URLS = ("url", "article_url", "referrer")
OPTIONAL_IDS = ("article_id", "parent_id")


class ValidationFailed(Exception):
    """Raised with every field error at once: {field: [messages]}."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{field}: {', '.join(msgs)}" for field, msgs in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class CommentInput:
    """A validated, normalised comment as the model and the store see it."""

    name: str
    email: str
    comment: str
    url: str = ""
    article_url: str = ""
    article_id: str = ""
    parent_id: str = ""
    ip: str = ""
    user_agent: str = ""
    referrer: str = ""

    def model_fields(self) -> dict[str, str]:
        """The fields the classifier reads."""
        return {"comment": self.comment, "name": self.name, "email": self.email, "url": self.url}

    def as_dict(self) -> dict[str, str]:
        """Every field, for storage and serialisation."""
        return asdict(self)


@dataclass(frozen=True)
class ValidationSettings:
    """Limits that a deployment can change."""

    max_comment_length: int = 10_000
    check_deliverability: bool = False


def _is_control(ch: str) -> bool:
    # Format characters (Cf) include bidi overrides and zero-width spaces used to hide text; the
    # zero-width joiner stays because emoji sequences need it.
    return unicodedata.category(ch) in ("Cc", "Cf") and ch not in "\n\t\u200d"


def clean_text(text: str) -> str:
    """NFC, newlines unified, control and format characters removed, trimmed."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    return "".join(ch for ch in text if not _is_control(ch)).strip()


def _string(data: Mapping, field: str, errors: dict[str, list[str]], *, required: bool) -> str | None:
    value = data.get(field)
    if value is None or (value == "" and not required):
        if required:
            errors.setdefault(field, []).append("This field is required.")
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        errors.setdefault(field, []).append("Must be a string.")
        return None
    return str(value)


def _check_name(raw: str, errors: dict[str, list[str]]) -> str:
    name = unicodedata.normalize("NFC", raw.strip())
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in name):
        errors.setdefault("name", []).append("Must not contain control characters.")
    if not 1 <= len(name) <= NAME_MAX:
        errors.setdefault("name", []).append(f"Must be 1 to {NAME_MAX} characters after trimming.")
    return name


def _check_email(raw: str, settings: ValidationSettings, errors: dict[str, list[str]]) -> str:
    try:
        return validate_email(raw.strip(), check_deliverability=settings.check_deliverability).normalized
    except EmailNotValidError as error:
        errors.setdefault("email", []).append(str(error))
        return raw


def _check_url(field: str, raw: str, errors: dict[str, list[str]]) -> str:
    url = raw.strip()
    try:
        parts = urlsplit(url)
        valid = parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
    except ValueError:
        valid = False
    if not valid or any(ch.isspace() or _is_control(ch) for ch in url):
        errors.setdefault(field, []).append("Must be an http or https URL.")
    elif len(url) > URL_MAX:
        errors.setdefault(field, []).append(f"Must be at most {URL_MAX} characters.")
    return url


def _check_ip(raw: str, errors: dict[str, list[str]]) -> str:
    try:
        return str(ipaddress.ip_address(raw.strip()))
    except ValueError:
        errors.setdefault("ip", []).append("Must be an IPv4 or IPv6 address.")
        return raw


def validate_comment(data: Mapping, settings: ValidationSettings = ValidationSettings()) -> CommentInput:
    """Validate and normalise a submitted comment; raise ValidationFailed naming every bad field."""
    if not isinstance(data, Mapping):
        raise ValidationFailed({"_body": ["Must be an object with name, email and comment."]})
    errors: dict[str, list[str]] = {}
    fields: dict[str, str] = {}

    name = _string(data, "name", errors, required=True)
    if name is not None:
        fields["name"] = _check_name(name, errors)
    email = _string(data, "email", errors, required=True)
    if email is not None:
        fields["email"] = _check_email(email, settings, errors)
    comment = _string(data, "comment", errors, required=True)
    if comment is not None:
        fields["comment"] = clean_text(comment)
        if not 1 <= len(fields["comment"]) <= settings.max_comment_length:
            errors.setdefault("comment", []).append(
                f"Must be 1 to {settings.max_comment_length} characters after trimming.")
    for field in OPTIONAL_URLS:
        value = _string(data, field, errors, required=False)
        if value is not None:
            fields[field] = _check_url(field, value, errors)
    for field in OPTIONAL_IDS:
        value = _string(data, field, errors, required=False)
        if value is not None:
            fields[field] = value.strip()
            if len(fields[field]) > ID_MAX or any(_is_control(ch) for ch in fields[field]):
                errors.setdefault(field, []).append(f"Must be at most {ID_MAX} printable characters.")
    ip = _string(data, "ip", errors, required=False)
    if ip is not None:
        fields["ip"] = _check_ip(ip, errors)
    user_agent = _string(data, "user_agent", errors, required=False)
    if user_agent is not None:
        fields["user_agent"] = "".join(ch for ch in user_agent if not _is_control(ch))[:USER_AGENT_MAX]

    if errors:
        raise ValidationFailed(errors)
    return CommentInput(**fields)


REVIEW_ACTIONS = ("approve", "reject")
NOTE_MAX = 2000


@dataclass(frozen=True)
class Labels:
    """A moderator's (or a site's) ground truth for one comment."""

    spam: bool
    toxic: bool
    category: str | None = None

    def as_dict(self) -> dict:
        """The JSON form."""
        return {"spam": self.spam, "toxic": self.toxic, "category": self.category}


@dataclass(frozen=True)
class Review:
    """A moderator's decision on a comment."""

    action: str
    labels: Labels
    note: str = ""


def validate_labels(data, errors: dict[str, list[str]], field: str = "labels") -> Labels | None:
    """Labels from {"spam": bool, "toxic": bool, "category"?: str}, or None with errors recorded."""
    if not isinstance(data, Mapping):
        errors.setdefault(field, []).append('Must be an object like {"spam": false, "toxic": true}.')
        return None
    problems = [f"`{key}` must be true or false." for key in ("spam", "toxic") if not isinstance(data.get(key), bool)]
    category = data.get("category")
    if category is not None and category not in CATEGORIES:
        problems.append(f"`category` must be one of {', '.join(CATEGORIES)}.")
    if category is not None and data.get("toxic") is False:
        problems.append("`category` applies only when `toxic` is true.")
    if problems:
        errors.setdefault(field, []).extend(problems)
        return None
    return Labels(spam=data["spam"], toxic=data["toxic"], category=category if data["toxic"] else None)


def validate_review(data: Mapping) -> Review:
    """A review request, or ValidationFailed naming every bad field."""
    if not isinstance(data, Mapping):
        raise ValidationFailed({"_body": ["Must be an object with action and labels."]})
    errors: dict[str, list[str]] = {}
    action = data.get("action")
    if action not in REVIEW_ACTIONS:
        errors.setdefault("action", []).append(f"Must be one of {', '.join(REVIEW_ACTIONS)}.")
    labels = validate_labels(data.get("labels"), errors)
    note = data.get("note", "")
    if note is None:
        note = ""
    if not isinstance(note, str) or len(note) > NOTE_MAX:
        errors.setdefault("note", []).append(f"Must be a string of at most {NOTE_MAX} characters.")
    if errors:
        raise ValidationFailed(errors)
    return Review(action=action, labels=labels, note=clean_text(note))
