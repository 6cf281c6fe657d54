"""The decision policy: scores against thresholds, giving accept, hold or reject with reasons."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from model import Scores

ACCEPT, HOLD, REJECT = "accept", "hold", "reject"
_SEVERITY = {ACCEPT: 0, HOLD: 1, REJECT: 2}
STATUS_FOR_DECISION = {ACCEPT: "accepted", HOLD: "held", REJECT: "rejected"}


@dataclass(frozen=True)
class Thresholds:
    """Scores at or above hold_at are held; at or above reject_at, rejected."""

    hold_at: float
    reject_at: float

    def __post_init__(self):
        if not 0 <= self.hold_at <= self.reject_at <= 1:
            raise ValueError(f"thresholds need 0 <= hold_at <= reject_at <= 1, got {self}")


DEFAULT_THRESHOLDS = {"spam": Thresholds(0.5, 0.9), "toxicity": Thresholds(0.5, 0.9)}


@dataclass(frozen=True)
class Reason:
    """Why a decision was made: a stable code, a sentence for people, and the facts behind it."""

    code: str
    message: str
    action: str = ACCEPT
    details: dict[str, Any] = field(default_factory=dict)
    # In shadow mode a reason records what it would have done without changing the decision.
    shadow: bool = False

    def as_dict(self) -> dict[str, Any]:
        """The JSON form: code, message, action, then the details."""
        shadow = {"shadow": True} if self.shadow else {}
        return {"code": self.code, "message": self.message, "action": self.action, **shadow, **self.details}


@dataclass(frozen=True)
class Decision:
    """The outcome for one comment."""

    decision: str
    scores: dict[str, float]
    reasons: list[Reason]
    model_version: str

    @property
    def status(self) -> str:
        """The stored status this decision starts the comment in."""
        return STATUS_FOR_DECISION[self.decision]


def resolve_thresholds(manifest_thresholds: Mapping[str, Mapping[str, float]] | None,
                       overrides: Mapping[str, Mapping[str, float]] | None) -> dict[str, Thresholds]:
    """Thresholds per label: configured overrides win over the model's manifest, which wins over defaults."""
    resolved = {}
    for label, default in DEFAULT_THRESHOLDS.items():
        values = {"hold_at": default.hold_at, "reject_at": default.reject_at}
        for source in (manifest_thresholds or {}, overrides or {}):
            values.update({k: float(v) for k, v in source.get(label, {}).items() if k in values})
        resolved[label] = Thresholds(**values)
    return resolved


def _top_category(scores: Scores) -> str | None:
    if not scores.categories:
        return None
    return max(scores.categories, key=scores.categories.get)


def lenient(thresholds: Mapping[str, Thresholds], by: float) -> dict[str, Thresholds]:
    """Thresholds relaxed by `by` for a trusted author, never above 0.99."""
    return {label: Thresholds(min(t.hold_at + by, 0.99), min(max(t.reject_at + by, t.hold_at + by), 0.99))
            for label, t in thresholds.items()}


def decide(scores: Scores, thresholds: Mapping[str, Thresholds], model_version: str,
           rule_reasons: list[Reason] = (), shadow_model: bool = False, forced: str | None = None) -> Decision:
    """The strictest action of the rules and the model wins; shadow reasons are recorded, not obeyed.

    forced ("spam" or "ham") is a protocol's test value, which decides regardless.
    """
    model_reasons = [replace(r, shadow=shadow_model) for r in _model_reasons(scores, thresholds)]
    reasons = list(rule_reasons) + model_reasons
    if forced:
        action = REJECT if forced == "spam" else ACCEPT
        reasons.insert(0, Reason(code="test_value", message=f"A protocol test value forces {forced}.",
                                 action=action, details={"forced": forced}))
        return Decision(decision=action, scores=scores.as_dict(), reasons=reasons, model_version=model_version)
    if not model_reasons:
        reasons.append(Reason(
            code="model_clean",
            message="Spam and toxicity scores are below the hold thresholds.",
            details={"spam": round(scores.spam, 4), "toxicity": round(scores.toxicity, 4)},
            shadow=shadow_model,
        ))
    obeyed = [r.action for r in reasons if not r.shadow]
    decision = max(obeyed or [ACCEPT], key=_SEVERITY.__getitem__)
    return Decision(decision=decision, scores=scores.as_dict(), reasons=reasons, model_version=model_version)


def _model_reasons(scores: Scores, thresholds: Mapping[str, Thresholds]) -> list[Reason]:
    reasons = []
    values = {"spam": scores.spam, "toxicity": scores.toxicity}
    for label, score in values.items():
        limit = thresholds[label]
        if score >= limit.reject_at:
            action, threshold = REJECT, limit.reject_at
        elif score >= limit.hold_at:
            action, threshold = HOLD, limit.hold_at
        else:
            continue
        terms = [term for term, _ in scores.explanations.get(label, [])]
        details = {"label": label, "score": round(score, 4), "threshold": threshold, "terms": terms}
        what = "spam" if label == "spam" else "toxic"
        message = f"Model scores this comment {score:.2f} {what} (>= {threshold:.2f} to {action})"
        if label == "toxicity" and (category := _top_category(scores)):
            details["category"] = category
            message += f", most likely {category.replace('_', ' ')}"
        if terms:
            message += f"; driven by: {', '.join(terms)}"
        reasons.append(Reason(code=f"model_{label}", message=message + ".", action=action, details=details))
    return reasons
