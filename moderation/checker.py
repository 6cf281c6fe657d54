"""check(): one submitted comment through rules, model and policy into the store.

Every front end (the REST API, Akismet, Perspective) hands its comment to CommentChecker and only
translates the input and the output; none of them reimplements a step.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from model import LoadedModel
from moderation.active_model import ActiveModel
from moderation.moderate import moderate_many
from moderation.policy import Decision
from moderation.rules import RuleOutcome, Rules, evaluate
from moderation.store import Store
from moderation.validation import CommentInput


class ModelUnavailable(Exception):
    """No model could be loaded: nothing can be decided."""


class RateLimited(Exception):
    """The commenter posts faster than the flood rule allows and the rule answers 429."""

    def __init__(self, retry_after: int, message: str):
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Submission:
    """A validated comment plus what a front end knows about how it arrived."""

    comment: CommentInput
    honeypot: str = ""
    # A protocol's test value forces the verdict (Akismet's viagra-test-123 and administrator role).
    forced: str | None = None


@dataclass(frozen=True)
class CheckResult:
    """The stored comment and the decision it was given."""

    stored: dict
    decision: Decision


class CommentChecker:
    """Rules, model and policy for each comment, then one write; the answer exists only if the write did."""

    def __init__(self, store: Store, active_model: ActiveModel, rules: Rules,
                 overrides: Mapping[str, Mapping[str, float]] | None = None):
        self.store = store
        self.active_model = active_model
        self.rules = rules
        self.overrides = overrides or {}

    def model(self) -> LoadedModel:
        """The model serving now."""
        loaded = self.active_model.get()
        if loaded is None:
            raise ModelUnavailable(self.active_model.error or "no model is loaded")
        return loaded

    def _decide(self, comments: Sequence[CommentInput], outcomes: list[RuleOutcome]) -> list[Decision]:
        shadow_model = "model" in self.rules.current().settings.shadow
        return moderate_many(comments, self.model(), self.overrides, outcomes, shadow_model)

    def check(self, submission: Submission) -> CheckResult:
        """Decide and store one comment (raises RateLimited, ModelUnavailable or StoreUnavailable)."""
        rules = self.rules.current()
        history = self.store.history(submission.comment, rules.settings)
        outcome = evaluate(rules, submission.comment, submission.honeypot, history)
        outcome.forced = submission.forced
        if outcome.rate_limited:
            raise RateLimited(outcome.retry_after, outcome.rate_limited)
        decision = self._decide([submission.comment], [outcome])[0]
        stored = self.store.save_comment(submission.comment, decision)
        return CheckResult(stored=stored, decision=decision)

    def preview(self, comments: Sequence[CommentInput]) -> list[Decision]:
        """Decisions without storing, counting toward no limit, and without the rules that need the
        commenter's history (duplicates, floods, first posts, trust)."""
        rules = self.rules.current()
        return self._decide(comments, [evaluate(rules, c) for c in comments])
