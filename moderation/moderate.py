"""moderate(): one comment in, one decision out. Every front end (REST, Akismet, Perspective) calls this."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from model import LoadedModel
from moderation.policy import Decision, Thresholds, decide, resolve_thresholds
from moderation.validation import CommentInput


def thresholds_for(loaded: LoadedModel, overrides: Mapping[str, Mapping[str, float]] | None) -> dict[str, Thresholds]:
    """The thresholds in force for a model: its manifest's, with configured overrides on top."""
    return resolve_thresholds(loaded.manifest.get("thresholds"), overrides)


def moderate_many(comments: Sequence[CommentInput], loaded: LoadedModel,
                  overrides: Mapping[str, Mapping[str, float]] | None = None) -> list[Decision]:
    """Score and decide many comments with one model version."""
    thresholds = thresholds_for(loaded, overrides)
    scores = loaded.model.score_many([c.model_fields() for c in comments])
    return [decide(s, thresholds, loaded.version) for s in scores]


def moderate(comment: CommentInput, loaded: LoadedModel,
             overrides: Mapping[str, Mapping[str, float]] | None = None) -> Decision:
    """Score and decide one comment."""
    return moderate_many([comment], loaded, overrides)[0]
