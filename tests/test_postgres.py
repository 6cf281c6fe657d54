"""The same service on PostgreSQL, the production database: skipped when no server answers on 127.0.0.1."""

from __future__ import annotations

import os
import uuid

import pytest

from service import create_app
from tests.test_review_api import CIVIL, HOLD_ALL, REVIEW, TOXIC, submit

psycopg = pytest.importorskip("psycopg")
SERVER = os.environ.get("MODERATION_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture
def postgres_url():
    try:
        admin = psycopg.connect(SERVER, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        pytest.skip(f"no PostgreSQL server at {SERVER}: {error}")
    name = f"moderation_test_{uuid.uuid4().hex[:10]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        base = SERVER.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
        yield f"{base}/{name}"
        admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture
def postgres_client(app_config, postgres_url):
    app = create_app({**app_config, "DATABASE_URL": postgres_url, "THRESHOLDS": HOLD_ALL})
    yield app.test_client()
    app.extensions["moderation.store"].engine.dispose()


def test_comment_review_rules_and_queue_on_postgres(postgres_client, site_headers, moderator_headers):
    client = postgres_client
    assert client.get("/readyz").status_code == 200
    civil = submit(client, site_headers, {**CIVIL, "article_id": "a1"})
    toxic = submit(client, site_headers, TOXIC)
    assert client.get(f"/v1/comments/{civil['id']}", headers=site_headers).get_json()["status"] == "held"

    page = client.get("/v1/queue", query_string={"order": "uncertain", "limit": 1},
                      headers=moderator_headers).get_json()
    second = client.get("/v1/queue", query_string={"order": "uncertain", "limit": 1, "cursor": page["next_cursor"]},
                        headers=moderator_headers).get_json()
    assert {page["items"][0]["id"], second["items"][0]["id"]} == {civil["id"], toxic["id"]}

    reviewed = client.post(f"/v1/comments/{toxic['id']}/review", json=REVIEW, headers=moderator_headers)
    assert reviewed.get_json()["status"] == "rejected"
    client.post("/v1/rules/entries", json={"kind": "word", "action": "block", "value": "frobnicate"},
                headers=moderator_headers)
    assert submit(client, site_headers, {**CIVIL, "comment": "frobnicate it"})["decision"] == "reject"
    duplicate = submit(client, site_headers, {**CIVIL, "article_id": "a1"})
    assert any(r["code"] == "duplicate" for r in duplicate["reasons"])
    stats = client.get("/v1/stats", headers=moderator_headers).get_json()
    assert stats["comments"] == 4
    events = client.get("/v1/audit", headers=moderator_headers).get_json()["events"]
    assert {"comment.review", "rules.add"} <= {e["action"] for e in events}
