"""Scoring and deciding: the model's scores, the rules' reasons and the thresholds make a decision."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from model import LoadedModel
from moderation.policy import Decision, Thresholds, decide, lenient, resolve_thresholds
from moderation.rules import RuleOutcome
from moderation.validation import CommentInput


def thresholds_for(loaded: LoadedModel, overrides: Mapping[str, Mapping[str, float]] | None) -> dict[str, Thresholds]:
    """The thresholds in force for a model: its manifest's, with configured overrides on top."""
    return resolve_thresholds(loaded.manifest.get("thresholds"), overrides)


def moderate_many(comments: Sequence[CommentInput], loaded: LoadedModel,
                  overrides: Mapping[str, Mapping[str, float]] | None = None,
                  outcomes: Sequence[RuleOutcome] | None = None, shadow_model: bool = False) -> list[Decision]:
    """Score and decide many comments with one model version, given what the rules found for each."""
    thresholds = thresholds_for(loaded, overrides)
    outcomes = outcomes or [RuleOutcome() for _ in comments]
    fields = [{**c.model_fields(), **({"comment": o.model_text} if o.model_text is not None else {})}
              for c, o in zip(comments, outcomes, strict=True)]
    decisions = []
    for scores, outcome in zip(loaded.model.score_many(fields), outcomes, strict=True):
        limits = lenient(thresholds, outcome.lenient) if outcome.lenient else thresholds
        decisions.append(decide(scores, limits, loaded.version, outcome.reasons, shadow_model, outcome.forced))
    return decisions
