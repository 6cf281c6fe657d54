"""Bad input of every shape gets a clear problem+json 4xx, never a 5xx, and stores nothing."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import MODERATOR_KEY, NO_RATE_LIMITS, SITE_KEY

SITE = {"Authorization": f"Bearer {SITE_KEY}"}
MODERATOR = {"Authorization": f"Bearer {MODERATOR_KEY}"}
CIVIL = {"name": "Ann Reader", "email": "ann.reader@gmail.com",
         "comment": "The council should publish the full budget before the vote."}
ANY_CHARACTER = st.characters(exclude_categories=())  # lone surrogates included
HYPOTHESIS = settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))


def raw_json(client, method, path, text, headers):
    return client.open(path, method=method, data=text.encode("utf-8", "surrogatepass"),
                       headers={**headers, "Content-Type": "application/json"})


@pytest.fixture
def app_config(app_config):
    """No rate limits: these tests send many comments from one address."""
    return {**app_config, "RATE_LIMITS": NO_RATE_LIMITS}


def assert_clear_error(response, status=None):
    assert 400 <= response.status_code < 500, (response.status_code, response.get_data(as_text=True)[:300])
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["status"] == response.status_code
    if status is not None:
        assert response.status_code == status


def queue_size(client) -> int:
    return client.get("/v1/stats", headers=MODERATOR).get_json()["comments"]


@pytest.mark.parametrize(
    ("method", "path", "body", "headers", "status"),
    [
        ("POST", "/v1/comments", "[" * 100_000 + "]" * 100_000, SITE, 400),
        ("POST", "/v1/comments", '{"a":' * 50_000 + "1" + "}" * 50_000, SITE, 400),
        ("POST", "/v1/comments", json.dumps({**CIVIL, "comment": "fine \ud800 text"}, ensure_ascii=False), SITE, 400),
        ("POST", "/v1/comments", json.dumps({**CIVIL, "comment": "fine \\ud800 text"})[:-1] + "}", SITE, 422),
        ("POST", "/v1/comments", json.dumps({**CIVIL, "name": "\\udfff"}).replace("\\\\", "\\"), SITE, 422),
        ("POST", "/v1/comments", json.dumps({**CIVIL, "email": "a" * 100_000 + "@example.org"}), SITE, 422),
        ("POST", "/v1/rules/entries", json.dumps({"kind": ["word"], "value": "x"}), MODERATOR, 422),
        ("POST", "/v1/rules/entries", json.dumps({"kind": {"a": 1}, "value": "x"}), MODERATOR, 422),
        ("POST", "/v1/feedback", json.dumps({"comment": "x", "labels": [True, False]}), MODERATOR, 422),
    ],
    ids=["deeply nested list", "deeply nested object", "raw lone surrogate", "escaped lone surrogate in comment",
         "escaped lone surrogate in name", "huge email", "rule kind as list", "rule kind as object",
         "labels as list"],
)
def test_malformed_bodies_get_a_clear_error_and_store_nothing(client, method, path, body, headers, status):
    before = queue_size(client)
    assert_clear_error(raw_json(client, method, path, body, headers), status)
    assert queue_size(client) == before


@pytest.mark.parametrize(
    "query",
    ["limit=%C2%B2", "limit=%D9%A3", "limit=-1", "limit=1e3", "cursor=%5B1%2C2%5D", "cursor=%7B%7D",
     "cursor=not-a-cursor", "order=%00", "status=%F0%9F%92%A5"],
    ids=["superscript two", "arabic-indic three", "negative", "exponent", "list cursor", "object cursor",
         "garbage cursor", "NUL order", "emoji status"],
)
def test_malformed_queue_queries_get_a_clear_error(client, query):
    assert_clear_error(client.get(f"/v1/queue?{query}", headers=MODERATOR), 400)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(ANY_CHARACTER),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["name", "email", "comment", "url", "kind", "value", "labels", "items"]) | st.text(max_size=8),
        children, max_size=4),
    max_leaves=12)


@given(body=json_values)
@HYPOTHESIS
def test_any_json_shape_is_accepted_or_refused_cleanly(app, body):
    for path, headers in (("/v1/comments", SITE), ("/v1/analyze", SITE), ("/v1/feedback", MODERATOR),
                          ("/v1/rules/entries", MODERATOR)):
        response = app.test_client().post(path, json=body, headers=headers)
        assert response.status_code < 500, (path, body, response.get_data(as_text=True)[:300])
        if response.status_code >= 400:
            assert_clear_error(response)


@given(name=st.text(ANY_CHARACTER, max_size=120), email=st.text(ANY_CHARACTER, max_size=80),
       comment=st.text(ANY_CHARACTER, min_size=1, max_size=400))
@HYPOTHESIS
def test_any_unicode_in_any_field_is_stored_or_refused_cleanly(app, name, email, comment):
    # json.dumps escapes lone surrogates as \udXXX, as a client's JSON encoder would.
    body = json.dumps({"name": name, "email": email, "comment": comment})
    response = raw_json(app.test_client(), "POST", "/v1/comments", body, SITE)
    if response.status_code == 201:
        stored = app.test_client().get(f"/v1/comments/{response.get_json()['id']}", headers=SITE).get_json()
        assert stored["comment"] and "\x00" not in stored["comment"]
    else:
        assert_clear_error(response)
