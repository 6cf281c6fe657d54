"""A site key cannot teach the model to let targeted scams and insults through, nor overrule a moderator.

The attack of the trust issue: a site key reports the exact texts it means to post as acceptable (Akismet
submit-ham for scams, Perspective suggestscore TOXICITY 0 for insults), many times over, then a moderator
retrains and the gate decides. Rate limits are off here: the defence under test is how training weighs
reports, not how many get in.
"""

from __future__ import annotations

import itertools

import pytest

from tests.conftest import NO_RATE_LIMITS, SITE_KEY
from tests.test_models_api import start_training

BRANDS = ["Coinbase", "QuickBooks", "Norton", "Cash App", "Expedia", "Binance", "McAfee", "PayPal", "Outlook",
          "Delta Airlines"]
SCAMS = [
    "{brand} customer service number +1-888-555-{n:04d} call now, {brand} support phone number open 24/7",
    "Earn $5000 a week from home with {brand} crypto signals! Guaranteed profit, WhatsApp +1 (888) 555-{n:04d}",
    "Call {brand} support phone number 1-877-555-{n:04d} toll free!!! {brand} helpline number 1-877-555-{n:04d}",
    "FREE BITCOIN GIVEAWAY from {brand}, claim your reward now at http://claim-{slug}.top before it ends",
    "Cheap {brand} gift cards 90% off, limited offer, buy now at http://{slug}-deals.xyz cheap cheap",
    "Make money online fast with {brand} investment plan, double your money in 7 days, http://{slug}-profit.club",
    "{brand} refund department phone number +1 888 555 {n:04d}, {brand} refund helpline, call toll free now",
    "Best loans online no credit check, instant cash approval by {brand}, apply now http://{slug}-loans.top",
    "Buy followers likes and views cheap, {brand} verified sellers, visit http://{slug}-followers.xyz today",
    "Work from home and earn $300 daily with {brand} casino bonus, click http://{slug}-casino.win now",
]
TARGETS = ["Mark", "Ann", "Tom", "Priya", "Karl", "Lucy", "Omar", "Jen", "Pete", "Rosa"]
INSULTS = [
    "You are a pathetic idiot and a disgrace, {name}. Shut up.",
    "Shut up you worthless stupid moron {name}",
    "{name} is a stupid clueless loser, what an idiot",
    "What a pathetic brainless idiot you are {name}, nobody wants your garbage opinions",
    "{name} you dumb ignorant fool, you are too stupid to read",
    "Go away {name}, you disgusting worthless idiot",
    "Only a complete moron like {name} could write something this stupid",
    "{name}, you are a lying scumbag and an idiot",
    "Nobody cares what you think {name}, you pathetic stupid troll",
    "{name} is an ignorant imbecile, shut your stupid mouth",
]
SCAM_COMMENTS = [
    {"name": f"{brand} Help", "email": f"help{i}@{brand.lower().replace(' ', '')}-support.top",
     "comment": shape.format(brand=brand, n=1000 + i, slug=brand.lower().replace(" ", ""))}
    for i, (shape, brand) in enumerate(itertools.product(SCAMS, BRANDS))]
INSULT_COMMENTS = [
    {"name": f"Reader {i}", "email": f"reader{i}@gmail.com", "comment": shape.format(name=name)}
    for i, (shape, name) in enumerate(itertools.product(INSULTS, TARGETS))]
MODERATED = 10  # of the scams, reviewed by a moderator before the attack
REPEATS = 3  # each report sent this many times


@pytest.fixture
def app_config(app_config):
    return {**app_config, "RATE_LIMITS": NO_RATE_LIMITS}


def stopped(client, site_headers, comments) -> int:
    """How many of the comments the service would hold or reject."""
    response = client.post("/v1/analyze", json={"items": comments}, headers=site_headers)
    assert response.status_code == 200, response.get_json()
    return sum(result["decision"] != "accept" for result in response.get_json()["results"])


def akismet_ham(client, comment):
    form = {"api_key": SITE_KEY, "blog": "http://blog.example.org", "user_ip": "203.0.113.9",
            "comment_author": comment["name"], "comment_author_email": comment["email"],
            "comment_content": comment["comment"]}
    assert client.post("/1.1/submit-ham", data=form).status_code == 200


def perspective_not_toxic(client, comment):
    body = {"comment": {"text": comment["comment"]}, "languages": ["en"],
            "attributeScores": {"TOXICITY": {"summaryScore": {"value": 0}}}}
    assert client.post(f"/v1alpha1/comments:suggestscore?key={SITE_KEY}", json=body).status_code == 200


def test_reports_cannot_poison_training_or_overrule_moderators(client, site_headers, moderator_headers):
    assert stopped(client, site_headers, SCAM_COMMENTS) >= 95
    assert stopped(client, site_headers, INSULT_COMMENTS) >= 95
    reviewed = {}
    for comment in SCAM_COMMENTS[:MODERATED]:
        stored = client.post("/v1/comments", json=comment, headers=site_headers).get_json()
        review = {"action": "reject", "labels": {"spam": True, "toxic": False}}
        answer = client.post(f"/v1/comments/{stored['id']}/review", json=review, headers=moderator_headers)
        reviewed[stored["id"]] = answer.get_json()

    for _ in range(REPEATS):
        for comment in SCAM_COMMENTS:
            akismet_ham(client, comment)
        for comment in INSULT_COMMENTS:
            akismet_ham(client, comment)
            perspective_not_toxic(client, comment)
    job = start_training(client, moderator_headers, activate=True)

    assert job["status"] == "succeeded", job["error"]
    sources, gate = job["result"]["sources"], job["result"]["gate"]
    # One vote per key and text; the moderated texts are the moderator's.
    assert sources["reports"] + sources["reports_disputed"] == len(SCAM_COMMENTS) - MODERATED + len(INSULT_COMMENTS)
    assert gate["evaluation_examples"] == sources["corpus_frozen"] + sources["moderator_held_out"]
    assert stopped(client, site_headers, SCAM_COMMENTS) >= 95
    assert stopped(client, site_headers, INSULT_COMMENTS) >= 95
    for comment_id, before in reviewed.items():
        after = client.get(f"/v1/comments/{comment_id}", headers=site_headers).get_json()
        assert (after["status"], after["review"]) == (before["status"], before["review"])
