"""The decision policy: scores against thresholds, plus the rules' reasons, give accept, hold or reject."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Annotated, TypeVar

from pydantic import Field

from model import Scores
from model.lexicon import SECOND_PERSON, lexicon_counts, lexicon_words

T = TypeVar("T")


class Action(StrEnum):
    """What a reason asks for, and what the decision is: the strictest obeyed reason wins."""

    ACCEPT = "accept"
    HOLD = "hold"
    REJECT = "reject"

    @property
    def severity(self) -> int:
        """0 for accept, 1 for hold, 2 for reject."""
        return _SEVERITY[self]

    @property
    def status(self) -> Status:
        """The status a comment starts in when this is its decision."""
        return _STATUS[self]


class Status(StrEnum):
    """Where a stored comment stands now: its decision, or where a moderator has moved it since."""

    ACCEPTED = "accepted"
    HELD = "held"
    REJECTED = "rejected"


class Label(StrEnum):
    """The model's two scores, each with its own thresholds."""

    SPAM = "spam"
    TOXICITY = "toxicity"


class ReasonCode(StrEnum):
    """Every reason a decision can give; clients may rely on these codes."""

    MODEL_SPAM = "model_spam"
    MODEL_TOXICITY = "model_toxicity"
    MODEL_CLEAN = "model_clean"
    TEST_VALUE = "test_value"
    HONEYPOT = "honeypot"
    AUTHOR_BLOCKED = "author_blocked"
    DOMAIN_BLOCKED = "domain_blocked"
    WORD_BLOCK = "word_block"
    DUPLICATE = "duplicate"
    WORD_HOLD = "word_hold"
    TOO_MANY_LINKS = "too_many_links"
    FIRST_POST_LINK = "first_post_link"
    NEAR_DUPLICATE_SPAM = "near_duplicate_spam"
    FLOOD = "flood"
    AUTHOR_TRUSTED = "author_trusted"
    UNSUPPORTED_LANGUAGE = "unsupported_language"
    PROFANITY = "profanity"


class Forced(StrEnum):
    """A protocol's test value that decides regardless (Akismet's viagra-test-123, its administrator role)."""

    SPAM = "spam"
    HAM = "ham"


_SEVERITY = {Action.ACCEPT: 0, Action.HOLD: 1, Action.REJECT: 2}
_STATUS = {Action.ACCEPT: Status.ACCEPTED, Action.HOLD: Status.HELD, Action.REJECT: Status.REJECTED}


@dataclass(frozen=True)
class Thresholds:
    """Scores at or above hold_at are held; at or above reject_at, rejected."""

    hold_at: float
    reject_at: float

    def __post_init__(self):
        if not 0 <= self.hold_at <= self.reject_at <= 1:
            raise ValueError(f"thresholds need 0 <= hold_at <= reject_at <= 1, got {self}")


DEFAULT_THRESHOLDS = {Label.SPAM: Thresholds(0.5, 0.9), Label.TOXICITY: Thresholds(0.5, 0.9)}


def _is_none(value) -> bool:
    return value is None


# A fact that applies to some reason codes only: absent from the JSON where it does not apply.
Fact = Annotated[T | None, Field(exclude_if=_is_none)]


@dataclass(frozen=True)
class Reason:
    """Why a decision was made: a stable code, a sentence for people, the action it asks for, and the facts
    behind it (only those that apply to the code are given)."""

    code: ReasonCode
    message: str
    action: Action = Action.ACCEPT
    # In shadow mode a reason records what it would have done without changing the decision.
    shadow: bool = False
    # Model reasons: which score, how high, the threshold it crossed, the terms that pushed it up.
    label: Fact[Label] = None
    score: Fact[float] = None
    threshold: Fact[float] = None
    terms: Fact[list[str]] = None
    category: Fact[str] = None
    # Rule reasons: which rule, and what matched.
    rule: Fact[ReasonCode] = None
    entry_id: Fact[int] = None
    domains: Fact[list[str]] = None
    links: Fact[int] = None
    duplicate_of: Fact[str] = None
    similar_to: Fact[str] = None
    similarity: Fact[float] = None
    per_minute: Fact[int] = None
    via: Fact[str] = None
    forced: Fact[Forced] = None
    language: Fact[str] = None
    # model_clean: both scores, below their thresholds.
    spam: Fact[float] = None
    toxicity: Fact[float] = None


@dataclass(frozen=True)
class Decision:
    """The outcome for one comment, and the scores that led to it."""

    decision: Action
    scores: dict[str, float]
    reasons: list[Reason]
    model_version: str

    @property
    def status(self) -> Status:
        """The stored status this decision starts the comment in."""
        return self.decision.status

    def flagged(self, label: Label) -> bool:
        """Whether an obeyed reason about this label asked for more than accept."""
        return flagged(self.reasons, label)


def flagged(reasons: Sequence[Reason], label: Label) -> bool:
    """Whether an obeyed reason about label asked for more than accept."""
    return any(r.label == label and r.action != Action.ACCEPT and not r.shadow for r in reasons)


def resolve_thresholds(manifest_thresholds: Mapping[str, Mapping[str, float]] | None,
                       overrides: Mapping[str, Mapping[str, float]] | None) -> dict[Label, Thresholds]:
    """Thresholds per label: configured overrides win over the model's manifest, which wins over defaults."""
    resolved = {}
    for label, default in DEFAULT_THRESHOLDS.items():
        values = {"hold_at": default.hold_at, "reject_at": default.reject_at}
        for source in (manifest_thresholds or {}, overrides or {}):
            values.update({k: float(v) for k, v in source.get(label, {}).items() if k in values})
        resolved[label] = Thresholds(**values)
    return resolved


def lenient(thresholds: Mapping[Label, Thresholds], by: float) -> dict[Label, Thresholds]:
    """Thresholds relaxed by `by` for a trusted author, never above 0.99."""
    return {label: Thresholds(min(t.hold_at + by, 0.99), min(max(t.reject_at + by, t.hold_at + by), 0.99))
            for label, t in thresholds.items()}


# Mild words that the profanity list counts but that the labelling guide calls mild exclamations ("damn, what a
# game"): they are not what the profanity setting is about.
MILD_SWEARING = ("damn", "goddamn", "crap", "piss")
_ATTACKS = frozenset({"insult", "threat", "identity_attack"})
_SWEAR_ACTION = {"hold": Action.HOLD, "allow": Action.ACCEPT, "reject": Action.REJECT}


def casual_swearing(normalized: str, scores: Scores) -> list[str]:
    """The swear words of a comment (normalised) that swears without insulting anyone, decided by the word lists
    and the category head; empty when it does not swear, or when it insults, threatens, uses a slur, swears at
    "you", or the category head reads it as an attack."""
    counts = lexicon_counts(normalized)
    if "profanity" not in counts or counts.keys() & {"insult_words", "slurs", "threat_words"}:
        return []
    words = sorted({w for w in lexicon_words(normalized, "lexicon_profanity") if not w.startswith(MILD_SWEARING)})
    if not words or set(normalized.split()) & set(SECOND_PERSON):
        return []
    if scores.categories and max(scores.categories, key=scores.categories.get) in _ATTACKS:
        return []
    return words


def decide(scores: Scores, thresholds: Mapping[Label, Thresholds], model_version: str,
           rule_reasons: Sequence[Reason] = (), shadow_model: bool = False, forced: Forced | None = None,
           swearing: Sequence[str] = (), profanity: str = "hold", shadow_profanity: bool = False) -> Decision:
    """The strictest action of the rules and the model wins; shadow reasons are recorded, not obeyed.

    forced is a protocol's test value, which decides regardless. swearing is casual_swearing(...): when there is
    any, the profanity setting (hold, allow or reject) decides the comment's toxicity instead of the model's
    toxicity score, whose reason is kept as a shadow.
    """
    model_reasons = [replace(r, shadow=shadow_model) for r in _model_reasons(scores, thresholds)]
    if swearing:
        action = _SWEAR_ACTION[profanity]
        swear = Reason(code=ReasonCode.PROFANITY, action=action, label=Label.TOXICITY, terms=list(swearing),
                       shadow=shadow_profanity,
                       message=f"Casual swearing that insults no one ({', '.join(swearing)}): the profanity setting "
                               f"is {profanity}.")
        if not shadow_profanity:
            model_reasons = [replace(r, shadow=True) if r.label == Label.TOXICITY else r for r in model_reasons]
        model_reasons.insert(0, swear)
    reasons = [*rule_reasons, *model_reasons]
    if forced:
        action = Action.REJECT if forced == Forced.SPAM else Action.ACCEPT
        reasons.insert(0, Reason(code=ReasonCode.TEST_VALUE, message=f"A protocol test value forces {forced}.",
                                 action=action, forced=forced))
        return Decision(decision=action, scores=scores.as_dict(), reasons=reasons, model_version=model_version)
    if not any(r.code in (ReasonCode.MODEL_SPAM, ReasonCode.MODEL_TOXICITY) for r in model_reasons):
        reasons.append(Reason(code=ReasonCode.MODEL_CLEAN,
                              message="Spam and toxicity scores are below the hold thresholds.",
                              spam=round(scores.spam, 4), toxicity=round(scores.toxicity, 4), shadow=shadow_model))
    obeyed = [r.action for r in reasons if not r.shadow]
    decision = max(obeyed or [Action.ACCEPT], key=lambda action: action.severity)
    return Decision(decision=decision, scores=scores.as_dict(), reasons=reasons, model_version=model_version)


def _top_category(scores: Scores) -> str | None:
    return max(scores.categories, key=scores.categories.get) if scores.categories else None


def _model_reasons(scores: Scores, thresholds: Mapping[Label, Thresholds]) -> list[Reason]:
    reasons = []
    for label, score in ((Label.SPAM, scores.spam), (Label.TOXICITY, scores.toxicity)):
        limit = thresholds[label]
        if score >= limit.reject_at:
            action, threshold = Action.REJECT, limit.reject_at
        elif score >= limit.hold_at:
            action, threshold = Action.HOLD, limit.hold_at
        else:
            continue
        terms = [term for term, _ in scores.explanations.get(label, [])]
        what = "spam" if label == Label.SPAM else "toxic"
        message = f"Model scores this comment {score:.2f} {what} (>= {threshold:.2f} to {action})"
        if label == Label.SPAM and action == Action.REJECT and scores.spam_without_links is not None and \
                scores.spam_without_links < limit.reject_at:
            # A civil comment with a link to the reader's own photos scored 0.97 on its link, url field and
            # name alone: rejecting for spam needs evidence beyond the presence of a link.
            action, threshold = Action.HOLD, limit.hold_at
            message = (f"Model scores this comment {score:.2f} spam, but {scores.spam_without_links:.2f} without "
                       f"its links (< {limit.reject_at:.2f} to reject), so it is held")
        category = _top_category(scores) if label == Label.TOXICITY else None
        if category:
            message += f", most likely {category.replace('_', ' ')}"
        if terms:
            message += f"; driven by: {', '.join(terms)}"
        code = ReasonCode.MODEL_SPAM if label == Label.SPAM else ReasonCode.MODEL_TOXICITY
        reasons.append(Reason(code=code, message=message + ".", action=action, label=label, score=round(score, 4),
                              threshold=threshold, terms=terms, category=category))
    return reasons
