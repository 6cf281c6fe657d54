"""The Perspective front end, with the request bodies Coral Talk sends."""

from __future__ import annotations

import json
import logging

import pytest
from sqlalchemy import text

from service.api.perspective import ATTRIBUTES, sentences
from tests.conftest import SITE_KEY, failing_fields

CIVIL = "The new library opening hours are a good idea."
TOXIC = "Shut up you stupid fucking idiot, nobody wants to read your garbage"
ANALYZE = f"/v1alpha1/comments:analyze?key={SITE_KEY}"
SUGGEST = f"/v1alpha1/comments:suggestscore?key={SITE_KEY}"


def coral_analyze(comment: str, model: str = "TOXICITY") -> dict:
    """Coral's comments:analyze body."""
    return {"comment": {"text": comment}, "doNotStore": True, "requestedAttributes": {model: {}},
            "languages": ["en"]}


def coral_suggest(comment: str, model: str = "TOXICITY", value: int = 1) -> dict:
    """Coral's comments:suggestscore body (value 1 for a rejected comment, 0 for an approved one)."""
    context = {"url": "https://news.example.org/story?commentID=c1", "Coral_comment_id": "c1"}
    return {"comment": {"text": comment}, "context": {"entries": [{"text": json.dumps(context)}]},
            "attributeScores": {model: {"summaryScore": {"value": value}}}, "languages": ["en"],
            "communityId": "Coral:https://news.example.org", "clientToken": "comment:c1"}


def summary(client, comment: str, model: str = "TOXICITY") -> float:
    response = client.post(ANALYZE, json=coral_analyze(comment, model))
    assert response.status_code == 200, response.get_json()
    return response.get_json()["attributeScores"][model]["summaryScore"]["value"]


def row_count(app, table: str) -> int:
    with app.extensions["moderation.database"].engine.connect() as connection:
        return connection.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar()  # noqa: S608


@pytest.mark.parametrize("model", list(ATTRIBUTES))
def test_coral_analyze_scores_every_attribute(client, model):
    response = client.post(ANALYZE, json=coral_analyze(TOXIC, model))
    body = response.get_json()
    assert set(body) == {"attributeScores", "languages"} and body["languages"] == ["en"]
    assert set(body["attributeScores"]) == {model}
    score = body["attributeScores"][model]
    assert set(score) == {"summaryScore"} and score["summaryScore"]["type"] == "PROBABILITY"
    assert 0 <= score["summaryScore"]["value"] <= 1


@pytest.mark.parametrize("model", ["TOXICITY", "INSULT"])
def test_toxic_text_scores_higher_than_civil_text(client, model):
    assert summary(client, TOXIC, model) > summary(client, CIVIL, model)


def test_severe_toxicity_is_the_threat_and_identity_attack_share(client):
    threat = "I know where you live and I will hurt you and your family"
    parts = summary(client, threat, "THREAT") + summary(client, threat, "IDENTITY_ATTACK")
    assert summary(client, threat, "SEVERE_TOXICITY") == pytest.approx(parts, abs=2e-4)
    assert summary(client, threat, "SEVERE_TOXICITY") <= summary(client, threat, "TOXICITY")


def test_span_annotations_score_each_sentence(client):
    comment = f"  {CIVIL} {TOXIC}!\nThanks for reading. "
    body = {**coral_analyze(comment), "spanAnnotations": True, "clientToken": "t-1", "languages": ["en-GB"]}
    answer = client.post(ANALYZE, json=body).get_json()
    assert answer["clientToken"] == "t-1" and answer["languages"] == ["en-GB"]
    spans = answer["attributeScores"]["TOXICITY"]["spanScores"]
    assert [comment[s["begin"]:s["end"]] for s in spans] == [CIVIL, f"{TOXIC}!", "Thanks for reading."]
    covered = {i for s in spans for i in range(s["begin"], s["end"])}
    assert all(i in covered for i, ch in enumerate(comment) if not ch.isspace())
    civil, toxic, _ = (s["score"]["value"] for s in spans)
    assert toxic > civil
    assert civil == summary(client, CIVIL)


@pytest.mark.parametrize(
    ("comment", "parts"),
    [("One.", ["One."]), ("Is it 3.5 or 4? Yes!!  No", ["Is it 3.5 or 4?", "Yes!!", "No"]),
     ("line one\n\nline two", ["line one", "line two"]), (" ... ", ["..."])],
)
def test_sentences_keep_offsets_into_the_text(comment, parts):
    assert [comment[begin:end] for begin, end in sentences(comment)] == parts


def test_analyze_stores_and_logs_nothing(app, client, caplog):
    caplog.set_level(logging.DEBUG)
    secret = "Zebra-unique-words in a sentence that must never reach a log."
    for do_not_store in (True, False):
        assert client.post(ANALYZE, json={**coral_analyze(secret), "doNotStore": do_not_store}).status_code == 200
    assert row_count(app, "comments") == row_count(app, "labels") == 0
    assert "Zebra" not in caplog.text


@pytest.mark.parametrize("path", [ANALYZE, SUGGEST])
@pytest.mark.parametrize("key", ["", "?key=wrong"])
def test_a_missing_or_wrong_key_is_401(client, path, key):
    response = client.post(path.split("?")[0] + key, json=coral_suggest(CIVIL) | coral_analyze(CIVIL))
    assert response.status_code == 401 and response.mimetype == "application/problem+json"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"comment": None}, "comment.text"),
        ({"comment": {"text": " \n "}}, "comment.text"),
        ({"comment": {"text": 42}}, "comment.text"),
        ({"comment": {"text": "x" * 10_001}}, "comment.text"),
        ({"requestedAttributes": {}}, "requestedAttributes"),
        ({"requestedAttributes": {"TOXICITY": {}, "SEXUALLY_EXPLICIT": {}}}, "requestedAttributes"),
        ({"requestedAttributes": ["TOXICITY"]}, "requestedAttributes"),
        ({"languages": ["de"]}, "languages"),
        ({"languages": "en"}, "languages"),
        ({"spanAnnotations": "yes"}, "spanAnnotations"),
        ({"doNotStore": "true"}, "doNotStore"),
        ({"clientToken": 7}, "clientToken"),
    ],
)
def test_bad_analyze_bodies_are_400_naming_the_field(client, change, field):
    response = client.post(ANALYZE, json={**coral_analyze(CIVIL), **change})
    assert response.status_code == 400 and response.mimetype == "application/problem+json"
    assert failing_fields(response) == {field.split(".")[0]}


@pytest.mark.parametrize(("data", "content_type"), [("{not json", "application/json"), ("[1]", "application/json")])
def test_malformed_json_is_400(client, data, content_type):
    for path in (ANALYZE, SUGGEST):
        assert client.post(path, data=data, content_type=content_type).status_code == 400


@pytest.mark.parametrize(
    ("model", "value", "labels"),
    [
        ("TOXICITY", 1, {"spam": None, "toxic": True, "category": None}),
        ("TOXICITY", 0, {"spam": None, "toxic": False, "category": None}),
        ("SEVERE_TOXICITY", 1, {"spam": None, "toxic": True, "category": None}),
        ("INSULT", 1, {"spam": None, "toxic": True, "category": "insult"}),
        ("PROFANITY", 1, {"spam": None, "toxic": True, "category": "obscene"}),
        ("THREAT", 1, {"spam": None, "toxic": True, "category": "threat"}),
        ("IDENTITY_ATTACK", 1, {"spam": None, "toxic": True, "category": "identity_attack"}),
        ("SPAM", 1, {"spam": True, "toxic": None, "category": None}),
        ("SPAM", 0, {"spam": False, "toxic": None, "category": None}),
    ],
)
def test_coral_suggestscore_stores_an_audited_label(client, moderator_headers, model, value, labels):
    response = client.post(SUGGEST, json=coral_suggest(TOXIC, model, value))
    assert response.status_code == 200
    assert response.get_json() == {"clientToken": "comment:c1", "requestedLanguages": ["en"],
                                   "detectedLanguages": []}
    events = client.get("/v1/audit", headers=moderator_headers).get_json()["events"]
    [details] = [e["details"] for e in events if e["action"] == "label.report"]
    # A suggestion says only what its attributes say: the other label stays unknown.
    assert details == {"source": "perspective", **labels, "comment_id": None, "status_changed": False}


def test_the_highest_suggested_category_wins(client, moderator_headers):
    scores = {"TOXICITY": {"summaryScore": {"value": 1}}, "INSULT": {"summaryScore": {"value": 0.6}},
              "THREAT": {"summaryScore": {"value": 0.9}}, "SPAM": {"summaryScore": {"value": 0.2}}}
    assert client.post(SUGGEST, json={**coral_suggest(TOXIC), "attributeScores": scores}).status_code == 200
    events = client.get("/v1/audit", headers=moderator_headers).get_json()["events"]
    assert {k: events[0]["details"][k] for k in ("spam", "toxic", "category")} == \
        {"spam": False, "toxic": True, "category": "threat"}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"attributeScores": {}}, "attributeScores"),
        ({"attributeScores": {"TOXICITY": {"summaryScore": {"value": 2}}}}, "attributeScores"),
        ({"attributeScores": {"TOXICITY": {"summaryScore": {"value": True}}}}, "attributeScores"),
        ({"attributeScores": {"TOXICITY": {"summaryScore": 1}}}, "attributeScores"),
        ({"attributeScores": {"FLIRTATION": {"summaryScore": {"value": 1}}}}, "attributeScores"),
        ({"comment": {"text": ""}}, "comment.text"),
    ],
)
def test_bad_suggestions_are_400_and_store_nothing(app, client, change, field):
    response = client.post(SUGGEST, json={**coral_suggest(CIVIL), **change})
    assert response.status_code == 400
    assert failing_fields(response) == {field.split(".")[0]}
    assert row_count(app, "labels") == 0
