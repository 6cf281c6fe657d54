"""Rate limits per key, per commenter address and email, per key's reports and per client's failed
authentications: 429 problem+json with Retry-After, holding across workers, in the database or in Redis."""

from __future__ import annotations

import os
import uuid

import pytest

from service import create_app
from tests.conftest import NO_RATE_LIMITS

CIVIL = {"name": "Ann", "email": "ann@example.org", "comment": "The council meets on Tuesday."}
REDIS_URL = os.environ.get("MODERATION_TEST_REDIS", "redis://127.0.0.1:6379/15")


def limited_app(app_config, **limits):
    return create_app({**app_config, "RATE_LIMITS": {**NO_RATE_LIMITS, **limits}})


def post(client, headers, n, **fields):
    return client.post("/v1/comments", json={**CIVIL, "comment": f"Comment number {n}.", **fields}, headers=headers)


@pytest.mark.parametrize(("limit", "fields", "vary"), [
    ("ip", {"ip": "203.0.113.9"}, "email"),
    ("email", {"email": "same@example.org"}, "ip"),
])
def test_a_commenter_over_the_limit_gets_429_and_nothing_is_stored(app_config, site_headers, moderator_headers,
                                                                    limit, fields, vary):
    client = limited_app(app_config, **{limit: "3/hour"}).test_client()
    other = {"email": lambda n: f"reader{n}@example.org", "ip": lambda n: f"198.51.100.{n}"}[vary]
    answers = [post(client, site_headers, n, **fields, **{vary: other(n)}) for n in range(5)]
    assert [a.status_code for a in answers] == [201, 201, 201, 429, 429]
    refused = answers[3]
    assert refused.mimetype == "application/problem+json" and 0 < int(refused.headers["Retry-After"]) <= 3600
    assert "3 per hour" in refused.get_json()["detail"]
    held = client.get("/v1/queue", query_string={"status": "accepted", "limit": 200}, headers=moderator_headers)
    stored = sum(len(client.get("/v1/queue", query_string={"status": s}, headers=moderator_headers)
                     .get_json()["items"]) for s in ("held", "accepted", "rejected"))
    assert held.status_code == 200 and stored == 3


def test_a_key_over_its_limit_gets_429_on_every_endpoint(app_config, site_headers):
    client = limited_app(app_config, key="2/minute").test_client()
    assert post(client, site_headers, 1).status_code == 201
    assert client.get("/v1/comments/nope", headers=site_headers).status_code == 404
    assert client.post("/v1/analyze", json={"items": [CIVIL]}, headers=site_headers).status_code == 429


def test_limits_hold_across_workers_sharing_the_database(app_config, site_headers):
    workers = [limited_app(app_config, email="4/hour").test_client() for _ in range(2)]
    statuses = [post(workers[n % 2], site_headers, n).status_code for n in range(6)]
    assert statuses == [201, 201, 201, 201, 429, 429]


def test_failed_authentications_are_limited_per_client(app_config, site_headers):
    client = limited_app(app_config, auth_failures="3/minute").test_client()
    wrong = {"Authorization": "Bearer not-a-key"}
    assert [client.get("/v1/comments/x", headers=wrong).status_code for _ in range(4)] == [401, 401, 401, 429]
    assert client.get("/v1/comments/x", headers=site_headers).status_code == 404, "a right key is not limited"


def test_reports_are_limited_per_key(app_config, site_headers):
    client = limited_app(app_config, reports="2/hour").test_client()
    form = {"api_key": "site-key-for-tests", "blog": "https://news.example.org", "user_ip": "203.0.113.7",
            "comment_author": "Ann", "comment_author_email": "ann@example.org", "comment_content": "Buy pills"}
    answers = [client.post("/1.1/submit-spam", data=form) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]


@pytest.fixture
def redis_url():
    redis = pytest.importorskip("redis")
    try:
        connection = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
        connection.ping()
    except redis.exceptions.RedisError as error:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no Redis at {REDIS_URL}: {error}")
    yield REDIS_URL
    connection.close()


def test_limits_hold_across_workers_through_redis(app_config, site_headers, redis_url):
    email = f"{uuid.uuid4().hex[:12]}@example.org"  # a fresh counter, whatever Redis held before
    workers = [create_app({**app_config, "REDIS_URL": redis_url, "RATE_LIMITS": {**NO_RATE_LIMITS, "email": "3/hour"}})
               .test_client() for _ in range(2)]
    statuses = [post(workers[n % 2], site_headers, n, email=email).status_code for n in range(5)]
    assert statuses == [201, 201, 201, 429, 429]
