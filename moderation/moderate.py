"""One pass per comment: rules, model and policy decide; then the comment is stored with its decision.

Every front end (the REST API, Akismet, Perspective, the dashboard) validates its input into a CommentIn,
prepares it once, calls Moderator.moderate and then Moderator.save, and only translates the input and the
output. None of them reimplements a step.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from model import LoadedModel, prepare
from moderation import language
from moderation.active_model import ActiveModel
from moderation.limits import RateLimiter
from moderation.metrics import record_decision
from moderation.policy import Decision, Forced, casual_swearing, decide, lenient, resolve_thresholds
from moderation.prepared import PreparedComment
from moderation.privacy import IpPolicy
from moderation.rules import CompiledRules, History, RulesCache, evaluate
from moderation.schemas import StoredComment
from moderation.store import Database
from moderation.store import comments as comments_repo
from moderation.store import rules as rules_repo

RECENT_SPAM_LIMIT = 200


class ModelUnavailable(Exception):
    """No model could be loaded: nothing can be decided."""


def moderate(prepared: PreparedComment, rules: CompiledRules, model: LoadedModel, history: History | None = None,
             overrides: Mapping[str, Mapping[str, float]] | None = None, forced: Forced | None = None,
             site_domains: frozenset[str] = frozenset()) -> Decision:
    """Decide one comment with one rules snapshot and one model version.

    history is the commenter's record (None skips the rules that need it); overrides are configured
    thresholds; forced is a protocol's test value; site_domains are the site's own (links to them count for
    nothing). Raises RateLimited when the flood rule answers 429.
    """
    outcome = evaluate(rules, prepared, history, site_domains)
    text = prepared.text
    if outcome.model_text is not None:
        # Allowed phrases are hidden from the model: it reads the comment without them.
        text = prepare({**prepared.comment.form_fields(), "comment": outcome.model_text})
    scores = model.model.score_prepared([text])[0]
    # A moderator's thresholds win over the manifest's, and configured ones (an operator's pin) over both. A label
    # the configuration pins is pinned whole: mixing a pinned hold_at with a moderator's reject_at could invert them.
    thresholds = resolve_thresholds(model.manifest.get("thresholds"),
                                    {**rules.settings.thresholds(), **(overrides or {})})
    if outcome.lenient:
        thresholds = lenient(thresholds, outcome.lenient)
    # A comment in a language the model was not trained on is held by the rules; its scores are recorded only.
    shadow_model = rules.shadowed("model") or outcome.unsupported_language
    return decide(scores, thresholds, model.version, outcome.reasons, shadow_model, forced,
                  swearing=casual_swearing(text.normalized, scores), profanity=rules.settings.profanity,
                  shadow_profanity=rules.shadowed("profanity") or shadow_model)


class Moderator:
    """Holds what every pass needs (the database, the serving model, the rules cache and configured thresholds)
    and runs the pass: moderate() takes one snapshot of each, save() writes the result in one transaction."""

    def __init__(self, database: Database, active_model: ActiveModel, rules_ttl: float = 2.0,
                 overrides: Mapping[str, Mapping[str, float]] | None = None, limiter: RateLimiter | None = None,
                 ip_policy: IpPolicy | None = None):
        self.database = database
        # Without a policy addresses are not kept at all: storing them takes a deliberate choice.
        self.ip_policy = ip_policy or IpPolicy("none", "")
        self.limiter = limiter
        self.active_model = active_model
        self.rules = RulesCache(self._load_rules, ttl=rules_ttl)
        self.overrides = overrides or {}
        # The language model takes seconds to load: before the first comment, not during it.
        language.warm_up()

    def _load_rules(self) -> CompiledRules:
        with self.database.reading() as connection:
            settings = rules_repo.settings(connection)
            return CompiledRules(settings, rules_repo.entries(connection),
                                 comments_repo.recent_spam(connection, settings.near_duplicate_days,
                                                           RECENT_SPAM_LIMIT))

    def model(self) -> LoadedModel:
        """The model serving now; ModelUnavailable if there is none."""
        loaded = self.active_model.get()
        if loaded is None:
            raise ModelUnavailable(self.active_model.error or "no model is loaded")
        return loaded

    def moderate(self, prepared: PreparedComment, forced: Forced | None = None,
                 site_domains: frozenset[str] = frozenset()) -> Decision:
        """Decide a comment that will be stored, with the commenter's history; RateLimited when the commenter's
        address or email is over its limit."""
        if self.limiter is not None:
            self.limiter.check_comment(prepared.comment.ip, prepared.comment.email)
        rules, model = self.rules.current(), self.model()
        with self.database.reading() as connection:
            history = comments_repo.history(connection, prepared, rules.settings,
                                            ip=self.ip_policy.stored(prepared.comment.ip))
        return moderate(prepared, rules, model, history, self.overrides, forced, site_domains)

    def preview(self, prepared: Sequence[PreparedComment], counted: bool = True) -> list[Decision]:
        """Decide comments that will not be stored, with one snapshot of the rules and the model and without
        the rules that need the commenter's past (duplicates, floods, first posts, trust). counted=False keeps
        them out of the decision metrics (Perspective asks for scores, and per sentence, not for decisions)."""
        rules, model = self.rules.current(), self.model()
        decisions = [moderate(item, rules, model, None, self.overrides) for item in prepared]
        if counted:
            for decision in decisions:
                record_decision(decision.decision, decision.reasons, stored=False)
        return decisions

    def save(self, prepared: PreparedComment, decision: Decision) -> StoredComment:
        """Store the comment with its decision; StoreUnavailable if the write fails, so no answer is given."""
        with self.database.transaction() as connection:
            stored = comments_repo.insert(connection, prepared, decision, ip=self.ip_policy.stored(prepared.comment.ip))
        # Counted once stored: a decision whose write failed was never given.
        record_decision(decision.decision, decision.reasons, stored=True)
        return stored
