"""The decision policy, free of HTTP."""

from __future__ import annotations

import pytest

from model import Scores
from moderation.policy import Thresholds, casual_swearing, decide, resolve_thresholds

LIMITS = {"spam": Thresholds(0.5, 0.9), "toxicity": Thresholds(0.4, 0.8)}


@pytest.mark.parametrize(
    ("spam", "toxicity", "decision", "codes"),
    [
        (0.1, 0.1, "accept", ["model_clean"]),
        (0.5, 0.1, "hold", ["model_spam"]),
        (0.95, 0.1, "reject", ["model_spam"]),
        (0.1, 0.4, "hold", ["model_toxicity"]),
        (0.1, 0.85, "reject", ["model_toxicity"]),
        (0.6, 0.85, "reject", ["model_spam", "model_toxicity"]),
    ],
)
def test_strictest_action_wins(spam, toxicity, decision, codes):
    scores = Scores(spam=spam, toxicity=toxicity, categories={"insult": toxicity * 0.9, "threat": toxicity * 0.1},
                    explanations={"spam": [("loans", 1.2)], "toxicity": [("idiot", 2.0)]})
    result = decide(scores, LIMITS, "v1")
    assert result.decision == decision
    assert [r.code for r in result.reasons] == codes
    assert result.model_version == "v1"


def test_reasons_name_terms_and_category():
    scores = Scores(spam=0.0, toxicity=0.9, categories={"insult": 0.8, "threat": 0.1},
                    explanations={"toxicity": [("moron", 1.5), ("stupid", 0.7)]})
    reason = decide(scores, LIMITS, "v1").reasons[0]
    assert reason.terms == ["moron", "stupid"] and reason.category == "insult"
    assert "moron" in reason.message


def test_overrides_beat_the_manifest():
    resolved = resolve_thresholds({"spam": {"hold_at": 0.3, "reject_at": 0.7}}, {"spam": {"reject_at": 0.95}})
    assert resolved["spam"] == Thresholds(0.3, 0.95)
    assert resolved["toxicity"] == Thresholds(0.5, 0.9)


def test_inconsistent_thresholds_are_refused():
    with pytest.raises(ValueError, match="hold_at"):
        Thresholds(0.9, 0.5)


SWEARING = "what a fucking brilliant goal, holy shit"


@pytest.mark.parametrize(("profanity", "toxicity", "decision"), [
    ("hold", 0.1, "hold"), ("hold", 0.95, "hold"),
    ("allow", 0.1, "accept"), ("allow", 0.95, "accept"),
    ("reject", 0.1, "reject"), ("reject", 0.6, "reject"),
])
def test_the_profanity_setting_decides_casual_swearing_instead_of_the_toxicity_score(profanity, toxicity,
                                                                                    decision):
    scores = Scores(spam=0.05, toxicity=toxicity, categories={"obscene": toxicity * 0.8, "insult": toxicity * 0.2})
    swearing = casual_swearing(SWEARING, scores)
    assert swearing == ["fucking", "shit"]
    result = decide(scores, LIMITS, "v1", swearing=swearing, profanity=profanity)
    assert result.decision == decision
    reasons = {r.code: r for r in result.reasons}
    assert reasons["profanity"].terms == ["fucking", "shit"] and not reasons["profanity"].shadow
    assert "model_toxicity" not in reasons or reasons["model_toxicity"].shadow


@pytest.mark.parametrize("comment", [
    "you are a fucking idiot",  # an insult
    "fuck you and your team",  # sworn at someone
    "these shit people should be shot",  # a threat word
    "damn, what a game",  # mild: not what the setting is about
    "what a brilliant goal",  # no swearing at all
])
def test_swearing_that_attacks_someone_or_is_mild_is_left_to_the_model(comment):
    scores = Scores(spam=0.05, toxicity=0.9, categories={"obscene": 0.7, "insult": 0.2})
    assert casual_swearing(comment, scores) == []


def test_swearing_the_category_head_reads_as_an_attack_is_left_to_the_model():
    scores = Scores(spam=0.05, toxicity=0.9, categories={"obscene": 0.2, "insult": 0.7})
    assert casual_swearing(SWEARING, scores) == []


@pytest.mark.parametrize(("spam", "without_links", "decision"), [
    (0.97, 0.40, "hold"),  # the link, the url field and nothing else: held, never rejected
    (0.97, 0.93, "reject"),  # spam on its words too
    (0.97, None, "reject"),
    (0.60, 0.10, "hold"),
])
def test_rejecting_for_spam_needs_evidence_beyond_a_link(spam, without_links, decision):
    result = decide(Scores(spam=spam, toxicity=0.0, spam_without_links=without_links), LIMITS, "v1")
    assert result.decision == decision
