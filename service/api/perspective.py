"""Perspective's comments:analyze and comments:suggestscore (v1alpha1), in the shapes Coral Talk sends.

The key is one of our site (or moderator) keys, sent as `?key=`. analyze only scores: it never decides and
never stores the text, whatever doNotStore says. Nothing from the text is logged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Literal

from flask import Blueprint, g
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, StrictStr, ValidationInfo

from moderation.keys import SITE
from moderation.policy import Fact
from moderation.prepared import PreparedComment
from moderation.reviewing import report
from moderation.schemas import CommentIn, LabelSource, Report
from moderation.validation import settings_from
from service.extensions import database, limiter, moderator
from service.operations import MODEL_VERSION_HEADER, operation

bp = Blueprint("perspective", __name__, url_prefix="/v1alpha1")


class Attribute(StrEnum):
    """Perspective's attributes that this service scores."""

    TOXICITY = "TOXICITY"
    SEVERE_TOXICITY = "SEVERE_TOXICITY"
    INSULT = "INSULT"
    PROFANITY = "PROFANITY"
    THREAT = "THREAT"
    IDENTITY_ATTACK = "IDENTITY_ATTACK"
    SPAM = "SPAM"


def _summed(*keys: str) -> Callable[[dict[str, float]], float]:
    return lambda scores: sum(scores.get(key, 0.0) for key in keys)


# Perspective attribute -> our score. SEVERE_TOXICITY is the share of toxicity in the severe categories
# (threats and identity attacks); the others map one to one.
ATTRIBUTES: dict[Attribute, Callable[[dict[str, float]], float]] = {
    Attribute.TOXICITY: _summed("toxicity"),
    Attribute.SEVERE_TOXICITY: _summed("toxicity_threat", "toxicity_identity_attack"),
    Attribute.INSULT: _summed("toxicity_insult"),
    Attribute.PROFANITY: _summed("toxicity_obscene"),
    Attribute.THREAT: _summed("toxicity_threat"),
    Attribute.IDENTITY_ATTACK: _summed("toxicity_identity_attack"),
    Attribute.SPAM: _summed("spam"),
}
CATEGORY_OF = {Attribute.INSULT: "insult", Attribute.PROFANITY: "obscene", Attribute.THREAT: "threat",
               Attribute.IDENTITY_ATTACK: "identity_attack"}
LANGUAGES = ("en",)
SENTENCE_ENDS = frozenset(".!?")


def _text(value: str, info: ValidationInfo) -> str:
    limit = settings_from(info).max_comment_length
    if any("\ud800" <= ch <= "\udfff" for ch in value):
        raise ValueError("Must be valid Unicode text (no lone surrogates).")
    if not value.strip():
        raise ValueError("Must be a non-empty string.")
    if len(value) > limit:
        raise ValueError(f"Must be at most {limit} characters.")
    return value


def _languages(value: list[str]) -> list[str]:
    if any(language.lower().split("-")[0] not in LANGUAGES for language in value):
        raise ValueError(f"The model reads only {', '.join(LANGUAGES)}.")
    return value


class TextEntry(BaseModel):
    """The comment's text (scored as sent; span offsets refer to it)."""

    text: Annotated[StrictStr, AfterValidator(_text)]


class _PerspectiveRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    comment: TextEntry
    languages: Annotated[list[StrictStr], AfterValidator(_languages)] = Field(default_factory=lambda: list(LANGUAGES))
    clientToken: StrictStr | None = None


class AnalyzeRequest(_PerspectiveRequest):
    """What comments:analyze is asked."""

    requestedAttributes: dict[Attribute, dict] = Field(min_length=1)
    spanAnnotations: StrictBool = False
    doNotStore: StrictBool = True


class SummaryScore(BaseModel):
    """A suggested score."""

    value: Annotated[float, Field(ge=0, le=1, strict=True)]


class AttributeSuggestion(BaseModel):
    """A suggested score for one attribute."""

    summaryScore: SummaryScore


class SuggestRequest(_PerspectiveRequest):
    """What comments:suggestscore is told."""

    attributeScores: dict[Attribute, AttributeSuggestion] = Field(min_length=1)


@dataclass(frozen=True)
class Score:
    """A probability."""

    value: float
    type: Literal["PROBABILITY"] = "PROBABILITY"


@dataclass(frozen=True)
class SpanScore:
    """The score of one sentence: [begin, end) offsets into the text."""

    begin: int
    end: int
    score: Score


@dataclass(frozen=True)
class AttributeScores:
    """The scores of one attribute."""

    summaryScore: Score
    spanScores: Fact[list[SpanScore]] = None


@dataclass(frozen=True)
class AnalyzeResponse:
    """The scores for the requested attributes."""

    attributeScores: dict[Attribute, AttributeScores]
    languages: list[str]
    clientToken: Fact[str] = None


@dataclass(frozen=True)
class SuggestResponse:
    """The suggestion was stored."""

    requestedLanguages: list[str]
    detectedLanguages: list[str]
    clientToken: Fact[str] = None


def suggested_report(values: dict[Attribute, float]) -> Report:
    """What suggested scores say, and only that: spam if SPAM was scored at least 0.5, toxic if any scored
    toxicity attribute was, with the category of the highest such category attribute; a label no suggested
    attribute speaks to stays unknown."""
    toxicity = [value for name, value in values.items() if name != Attribute.SPAM]
    flagged = [(value, CATEGORY_OF[name]) for name, value in values.items() if name in CATEGORY_OF and value >= 0.5]
    return Report(spam=values[Attribute.SPAM] >= 0.5 if Attribute.SPAM in values else None,
                  toxic=any(value >= 0.5 for value in toxicity) if toxicity else None,
                  category=max(flagged)[1] if flagged else None)


def sentences(text: str) -> list[tuple[int, int]]:
    """(begin, end) offsets of each sentence in text, without surrounding white space.

    A sentence ends at a run of . ! or ? followed by white space or the end, or at the end of a line. One pass
    over the text: a regular expression for this backtracks quadratically over long runs of punctuation.
    """
    spans: list[tuple[int, int]] = []

    def close(begin: int, end: int) -> None:
        part = text[begin:end]
        begin, end = begin + len(part) - len(part.lstrip()), end - len(part) + len(part.rstrip())
        if begin < end:
            spans.append((begin, end))

    start = index = 0
    while index < len(text):
        if text[index] == "\n":
            close(start, index)
            start = index = index + 1
        elif text[index] in SENTENCE_ENDS:
            run_end = index
            while run_end < len(text) and text[run_end] in SENTENCE_ENDS:
                run_end += 1
            if run_end == len(text) or text[run_end].isspace():
                close(start, run_end)
                start = run_end
            index = run_end
        else:
            index += 1
    close(start, len(text))
    return spans


def _prepared(text: str) -> PreparedComment:
    # The text was validated above; Perspective sends no author, and the model reads only the text then.
    return PreparedComment.of(CommentIn.model_construct(name="", email="", comment=text))


def _score(value: float) -> Score:
    return Score(value=round(value, 4))


@bp.post("/comments:analyze")
@operation(key=SITE, key_in_query=True, body=AnalyzeRequest, invalid_status=400, responses={200: AnalyzeResponse},
           errors=(503,), tags=["perspective"])
def perspective_analyze(body: AnalyzeRequest):
    """Scores for the requested attributes, per sentence too with spanAnnotations; nothing is stored."""
    spans = sentences(body.comment.text) if body.spanAnnotations else []
    texts = [body.comment.text, *(body.comment.text[begin:end] for begin, end in spans)]
    decisions = moderator().preview([_prepared(text) for text in texts], counted=False)
    whole, *parts = [d.scores for d in decisions]
    answer = {}
    for name in body.requestedAttributes:
        span_scores = [SpanScore(begin, end, _score(ATTRIBUTES[name](scores)))
                       for (begin, end), scores in zip(spans, parts, strict=True)] if body.spanAnnotations else None
        answer[name] = AttributeScores(summaryScore=_score(ATTRIBUTES[name](whole)), spanScores=span_scores)
    return (AnalyzeResponse(attributeScores=answer, languages=body.languages, clientToken=body.clientToken), 200,
            {MODEL_VERSION_HEADER: decisions[0].model_version})


@bp.post("/comments:suggestscore")
@operation(key=SITE, key_in_query=True, body=SuggestRequest, invalid_status=400, responses={200: SuggestResponse},
           errors=(429, 503), tags=["perspective"])
def perspective_suggest_score(body: SuggestRequest):
    """Store the suggested scores as the site's report on the text (name and email unknown)."""
    said = suggested_report({name: score.summaryScore.value for name, score in body.attributeScores.items()})
    report(database(), limiter(), {"comment": body.comment.text.strip()}, said, LabelSource.PERSPECTIVE,
           g.api_key.id)
    return SuggestResponse(requestedLanguages=body.languages, detectedLanguages=[], clientToken=body.clientToken)
