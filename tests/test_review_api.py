"""The moderators' API: access rules, the queue, reviews, feedback and the audit log (webhooks: test_worker)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from service import create_app
from tests.conftest import failing_fields

CIVIL = {"name": "Ann", "email": "ann@gmail.com", "comment": "The new library opening hours are a good idea."}
TOXIC = {"name": "Rick", "email": "rick@gmail.com", "comment": "Shut up you stupid fucking idiot, nobody cares"}
REVIEW = {"action": "reject", "labels": {"spam": False, "toxic": True, "category": "insult"}, "note": "abuse"}
# Every comment is held for spam; toxic ones are flagged for toxicity too.
HOLD_ALL = {"spam": {"hold_at": 0.0, "reject_at": 1.0}, "toxicity": {"hold_at": 0.5, "reject_at": 1.0}}

MODERATOR_ENDPOINTS = [
    ("get", "/v1/queue"), ("post", "/v1/comments/x/review"), ("post", "/v1/feedback"), ("get", "/v1/audit"),
    ("get", "/v1/models"), ("post", "/v1/models"), ("post", "/v1/models/v/activate"), ("get", "/v1/jobs/x"),
]


@pytest.fixture
def holding_client(app_config):
    return create_app({**app_config, "THRESHOLDS": HOLD_ALL}).test_client()


def submit(client, headers, body):
    response = client.post("/v1/comments", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


@pytest.mark.parametrize(("method", "path"), MODERATOR_ENDPOINTS)
def test_moderator_endpoints_refuse_site_keys_and_anonymous_callers(client, site_headers, method, path):
    assert getattr(client, method)(path, headers=site_headers, json={}).status_code == 403
    assert getattr(client, method)(path, json={}).status_code == 401


def test_queue_lists_held_comments_with_scores_reasons_and_history(holding_client, site_headers,
                                                                   moderator_headers):
    first = submit(holding_client, site_headers, CIVIL)
    submit(holding_client, site_headers, {**CIVIL, "comment": "Second thought: Sunday hours too, please."})
    page = holding_client.get("/v1/queue", headers=moderator_headers).get_json()
    assert [item["status"] for item in page["items"]] == ["held", "held"]
    item = next(i for i in page["items"] if i["id"] == first["id"])
    assert item["scores"] == first["scores"] and item["reasons"] == first["reasons"]
    assert item["author_history"] == {"accepted": 0, "held": 2, "rejected": 0}


def test_queue_filters(holding_client, site_headers, moderator_headers):
    civil = submit(holding_client, site_headers, {**CIVIL, "article_id": "a1"})
    toxic = submit(holding_client, site_headers, {**TOXIC, "article_id": "a2"})

    def ids(**params):
        response = holding_client.get("/v1/queue", query_string=params, headers=moderator_headers)
        assert response.status_code == 200, response.get_json()
        return {item["id"] for item in response.get_json()["items"]}

    assert ids(article_id="a1") == {civil["id"]}
    assert ids(email="RICK@gmail.com") == {toxic["id"]}
    assert ids(label="toxicity") == {toxic["id"]}
    assert ids(label="spam") == {civil["id"], toxic["id"]}
    now = datetime.now(UTC)
    assert ids(since=(now - timedelta(minutes=5)).isoformat()) == {civil["id"], toxic["id"]}
    assert ids(until=(now - timedelta(minutes=5)).isoformat()) == set()
    assert ids(status="accepted") == set()
    holding_client.post(f"/v1/comments/{toxic['id']}/review", json=REVIEW, headers=moderator_headers)
    assert ids(status="rejected") == {toxic["id"]}
    assert ids() == {civil["id"]}


@pytest.mark.parametrize(("params", "field"), [
    ({"status": "maybe"}, "status"), ({"order": "random"}, "order"), ({"limit": "0"}, "limit"),
    ({"limit": "x"}, "limit"), ({"since": "yesterday"}, "since"), ({"label": "rude"}, "label"),
    ({"cursor": "not-a-cursor"}, "cursor"),
])
def test_queue_rejects_bad_parameters(client, moderator_headers, params, field):
    response = client.get("/v1/queue", query_string=params, headers=moderator_headers)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


@pytest.mark.parametrize("order", ["newest", "oldest", "uncertain"])
def test_queue_orders_and_pages_by_cursor(holding_client, site_headers, moderator_headers, order):
    texts = ["Great game last night.", "Buy cheap loans now at quickcash.top", "You are a moron",
             "Where is the source for this?", "The mayor's plan is fine", "idiot"]
    created = [submit(holding_client, site_headers, {**CIVIL, "comment": text}) for text in texts]
    seen, cursor = [], None
    while True:
        params = {"order": order, "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = holding_client.get("/v1/queue", query_string=params, headers=moderator_headers).get_json()
        seen.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(i["id"] for i in seen) == sorted(c["id"] for c in created), "every comment exactly once"
    if order == "uncertain":
        keys = [max(1 - abs(2 * i["scores"][label] - 1) for label in ("spam", "toxicity")) for i in seen]
        assert keys == sorted(keys, reverse=True)
    else:
        stamps = [i["created_at"] for i in seen]
        assert stamps == sorted(stamps, reverse=order == "newest")


def test_review_sets_status_logs_who_and_keeps_the_label(holding_client, site_headers, moderator_headers):
    comment = submit(holding_client, site_headers, TOXIC)
    response = holding_client.post(f"/v1/comments/{comment['id']}/review", json=REVIEW, headers=moderator_headers)
    assert response.status_code == 200
    reviewed = response.get_json()
    assert reviewed["status"] == "rejected"
    assert reviewed["review"]["by"].startswith("moderator-")
    assert reviewed["review"]["labels"] == REVIEW["labels"] and reviewed["review"]["previous_status"] == "held"
    stored = holding_client.get(f"/v1/comments/{comment['id']}", headers=site_headers).get_json()
    assert stored["status"] == "rejected" and stored["review"]["note"] == "abuse"
    events = holding_client.get("/v1/audit", query_string={"target": comment["id"]},
                                headers=moderator_headers).get_json()["events"]
    assert [e["action"] for e in events] == ["comment.review"]
    assert events[0]["actor"] == reviewed["review"]["by"] and events[0]["details"]["labels"] == REVIEW["labels"]


def test_a_miss_can_be_reviewed_later(client, site_headers, moderator_headers):
    comment = submit(client, site_headers, CIVIL)
    review = {"action": "reject", "labels": {"spam": True, "toxic": False}}
    reviewed = client.post(f"/v1/comments/{comment['id']}/review", json=review, headers=moderator_headers)
    assert reviewed.get_json()["status"] == "rejected"
    again = client.post(f"/v1/comments/{comment['id']}/review",
                        json={"action": "approve", "labels": {"spam": False, "toxic": False}},
                        headers=moderator_headers).get_json()
    assert again["status"] == "accepted" and again["review"]["previous_status"] == "rejected"


@pytest.mark.parametrize(("body", "fields"), [
    ({}, {"action", "labels"}),
    ({"action": "delete", "labels": {"spam": False, "toxic": False}}, {"action"}),
    ({"action": "reject", "labels": {"spam": "yes", "toxic": False}}, {"labels"}),
    ({"action": "reject", "labels": {"spam": False, "toxic": True, "category": "rude"}}, {"labels"}),
    ({"action": "reject", "labels": {"spam": False, "toxic": False, "category": "insult"}}, {"labels"}),
    ({"action": "approve", "labels": {"spam": False, "toxic": False}, "note": 5}, {"note"}),
])
def test_review_validation(client, site_headers, moderator_headers, body, fields):
    comment = submit(client, site_headers, CIVIL)
    response = client.post(f"/v1/comments/{comment['id']}/review", json=body, headers=moderator_headers)
    assert response.status_code == 422
    assert failing_fields(response) == fields


def test_review_of_unknown_comment_is_404(client, moderator_headers):
    response = client.post("/v1/comments/nope/review", json=REVIEW, headers=moderator_headers)
    assert response.status_code == 404


def test_feedback_stores_a_label_for_an_unstored_comment(client, moderator_headers):
    body = {**TOXIC, "labels": {"spam": False, "toxic": True, "category": "insult"}}
    response = client.post("/v1/feedback", json=body, headers=moderator_headers)
    assert response.status_code == 201
    assert response.get_json()["labels"] == body["labels"]
    events = client.get("/v1/audit", headers=moderator_headers).get_json()["events"]
    assert events[0]["action"] == "label.add" and events[0]["details"]["source"] == "feedback"


@pytest.mark.parametrize(("body", "fields"), [
    (CIVIL, {"labels"}),
    ({"comment": "x", "labels": {"spam": True, "toxic": False}}, {"name", "email"}),
])
def test_feedback_validation(client, moderator_headers, body, fields):
    response = client.post("/v1/feedback", json=body, headers=moderator_headers)
    assert response.status_code == 422 and set(response.get_json()["errors"]) == fields
