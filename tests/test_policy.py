"""The decision policy, free of HTTP."""

from __future__ import annotations

import pytest

from model import Scores
from moderation.policy import Thresholds, decide, resolve_thresholds

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
