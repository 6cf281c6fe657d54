"""Perspective's comments:analyze and comments:suggestscore (v1alpha1), in the shapes Coral Talk sends.

The key is one of our site (or moderator) keys, sent as `?key=`. analyze only scores: it never decides and
never stores the text, whatever doNotStore says. Nothing from the text is logged.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, current_app, request

from model.classifier import Scores
from moderation.keys import SITE, ApiKey
from moderation.validation import Labels, clean_text
from service.auth import authenticate, bearer_token
from service.errors import ApiError
from service.extensions import checker, store
from service.schemas import request_body

bp = Blueprint("perspective", __name__, url_prefix="/v1alpha1")


def _categories(*names: str) -> Callable[[Scores], float]:
    return lambda scores: sum(scores.categories.get(name, 0.0) for name in names)


# Perspective attribute -> our score. SEVERE_TOXICITY is the share of toxicity in the severe categories
# (threats and identity attacks); the others map one to one.
ATTRIBUTES: dict[str, Callable[[Scores], float]] = {
    "TOXICITY": lambda scores: scores.toxicity,
    "SEVERE_TOXICITY": _categories("threat", "identity_attack"),
    "INSULT": _categories("insult"),
    "PROFANITY": _categories("obscene"),
    "THREAT": _categories("threat"),
    "IDENTITY_ATTACK": _categories("identity_attack"),
    "SPAM": lambda scores: scores.spam,
}
CATEGORY_OF = {"INSULT": "insult", "PROFANITY": "obscene", "THREAT": "threat", "IDENTITY_ATTACK": "identity_attack"}
LANGUAGES = ("en",)
# A sentence ends at . ! or ? followed by white space, or at the end of a line.
_SENTENCE = re.compile(r"[^\n]+?(?:[.!?]+(?=\s)|$)", re.MULTILINE)


@dataclass(frozen=True)
class AnalyzeRequest:
    """What comments:analyze was asked."""

    text: str
    attributes: list[str]
    languages: list[str]
    spans: bool
    client_token: str | None


@dataclass(frozen=True)
class Suggestion:
    """What comments:suggestscore was told."""

    text: str
    labels: Labels
    languages: list[str]
    client_token: str | None


def _bad_request(errors: dict[str, list[str]]) -> ApiError:
    return ApiError(400, "Bad Request", "The request is not a valid Perspective request.", errors=errors,
                    slug="invalid-argument")


def _key() -> ApiKey:
    return authenticate(request.args.get("key") or bearer_token(), SITE)


def _common(body: dict, errors: dict[str, list[str]]) -> tuple[str, list[str], str | None]:
    """comment.text, languages and clientToken, as both methods take them."""
    comment = body.get("comment")
    text = comment.get("text") if isinstance(comment, dict) else None
    limit = current_app.config["MAX_COMMENT_LENGTH"]
    if not isinstance(text, str) or not text.strip():
        errors["comment.text"] = ["Must be a non-empty string."]
    elif len(text) > limit:
        errors["comment.text"] = [f"Must be at most {limit} characters."]
    languages = body.get("languages") or list(LANGUAGES)
    if not isinstance(languages, list) or not all(isinstance(lang, str) for lang in languages):
        errors["languages"] = ["Must be a list of language codes."]
    elif any(lang.lower().split("-")[0] not in LANGUAGES for lang in languages):
        errors["languages"] = [f"The model reads only {', '.join(LANGUAGES)}."]
    token = body.get("clientToken")
    if token is not None and not isinstance(token, str):
        errors["clientToken"] = ["Must be a string."]
    return text, languages, token


def parse_analyze(body: dict) -> AnalyzeRequest:
    """An analyze request, or a 400 naming every bad field."""
    errors: dict[str, list[str]] = {}
    text, languages, token = _common(body, errors)
    requested = body.get("requestedAttributes")
    if not isinstance(requested, dict) or not requested:
        errors["requestedAttributes"] = [f"Must name at least one of {', '.join(ATTRIBUTES)}."]
    elif unknown := sorted(set(requested) - set(ATTRIBUTES)):
        errors["requestedAttributes"] = [f"Unknown attributes {', '.join(unknown)}; known: {', '.join(ATTRIBUTES)}."]
    spans = body.get("spanAnnotations", False)
    if not isinstance(spans, bool):
        errors["spanAnnotations"] = ["Must be true or false."]
    if not isinstance(body.get("doNotStore", True), bool):
        errors["doNotStore"] = ["Must be true or false."]
    if errors:
        raise _bad_request(errors)
    return AnalyzeRequest(text, list(requested), languages, spans, token)


def suggested_labels(values: dict[str, float]) -> Labels:
    """Labels from suggested scores: toxic if any toxicity attribute is at least 0.5, spam if SPAM is,
    and the category of the highest such category attribute."""
    toxic = any(value >= 0.5 for name, value in values.items() if name != "SPAM")
    flagged = [(value, CATEGORY_OF[name]) for name, value in values.items() if name in CATEGORY_OF and value >= 0.5]
    return Labels(spam=values.get("SPAM", 0.0) >= 0.5, toxic=toxic, category=max(flagged)[1] if flagged else None)


def parse_suggestion(body: dict) -> Suggestion:
    """A suggestscore request, or a 400 naming every bad field."""
    errors: dict[str, list[str]] = {}
    text, languages, token = _common(body, errors)
    scores = body.get("attributeScores")
    values: dict[str, float] = {}
    if not isinstance(scores, dict) or not scores:
        errors["attributeScores"] = [f"Must score at least one of {', '.join(ATTRIBUTES)}."]
    else:
        for name, score in scores.items():
            summary = score.get("summaryScore") if isinstance(score, dict) else None
            value = summary.get("value") if isinstance(summary, dict) else None
            if name not in ATTRIBUTES:
                errors.setdefault("attributeScores", []).append(f"Unknown attribute {name}.")
            elif isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
                errors.setdefault("attributeScores", []).append(f"{name}.summaryScore.value must be 0 to 1.")
            else:
                values[name] = value
    if errors:
        raise _bad_request(errors)
    return Suggestion(text, suggested_labels(values), languages, token)


def sentences(text: str) -> list[tuple[int, int]]:
    """(begin, end) offsets of each sentence in text, without surrounding white space."""
    spans = []
    for match in _SENTENCE.finditer(text):
        part = match.group()
        begin, end = match.start() + len(part) - len(part.lstrip()), match.end() - len(part) + len(part.rstrip())
        if begin < end:
            spans.append((begin, end))
    return spans


def _score(value: float) -> dict:
    return {"value": round(value, 4), "type": "PROBABILITY"}


def _token(token: str | None) -> dict:
    return {} if token is None else {"clientToken": token}


@bp.post("/comments:analyze")
def analyze():
    """Scores for the requested attributes, per sentence too with spanAnnotations; nothing is stored."""
    _key()
    asked = parse_analyze(request_body())
    spans = sentences(asked.text) if asked.spans else []
    texts = [asked.text, *(asked.text[begin:end] for begin, end in spans)]
    whole, *parts = checker().model().model.score_many([{"comment": t} for t in texts], explain=False)
    answer = {}
    for name in asked.attributes:
        answer[name] = {"summaryScore": _score(ATTRIBUTES[name](whole))}
        if asked.spans:
            answer[name]["spanScores"] = [{"begin": begin, "end": end, "score": _score(ATTRIBUTES[name](scores))}
                                          for (begin, end), scores in zip(spans, parts, strict=True)]
    return {"attributeScores": answer, "languages": asked.languages, **_token(asked.client_token)}


@bp.post("/comments:suggestscore")
def suggest_score():
    """Store the suggested scores as a training label for the text (name and email unknown)."""
    key = _key()
    suggestion = parse_suggestion(request_body())
    store().add_label({"comment": clean_text(suggestion.text), "name": "", "email": "", "url": ""}, suggestion.labels,
                      source="perspective", actor=key.id)
    return {**_token(suggestion.client_token), "requestedLanguages": suggestion.languages, "detectedLanguages": []}
