"""The same service on PostgreSQL, the production database: skipped when no server answers on 127.0.0.1."""

from __future__ import annotations

import os
import uuid

import pytest
from alembic import command
from sqlalchemy import text

from moderation.store import Database
from moderation.store.db import alembic_config
from service import create_app
from tests.test_rate_limits import limited_app, post
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
        Database(f"{base}/{name}").dispose()
        admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture
def postgres_client(app_config, postgres_url):
    database = Database(postgres_url)
    database.upgrade()
    database.dispose()
    app = create_app({**app_config, "DATABASE_URL": postgres_url, "THRESHOLDS": HOLD_ALL})
    yield app.test_client()
    app.extensions["moderation.database"].engine.dispose()


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


def test_a_release_database_on_postgres_is_upgraded_without_losing_rows(postgres_url):
    """The schema of release 5c17256 (revision 0001) with rows in it, upgraded to the newest revision."""
    database = Database(postgres_url)
    with database.engine.begin() as connection:
        config = alembic_config(postgres_url)
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        connection.execute(text(
            "INSERT INTO comments (id, name, email, comment, spam_score, toxicity_score, flags, scores, decision,"
            " reasons, model_version, status, created_at, updated_at) VALUES ('c1', 'Ann', 'ann@example.org',"
            " 'Buy now', 0.9, 0.1, ',spam,', '{}', 'hold', '[{\"code\": \"model_spam\", \"action\": \"hold\"}]',"
            " 'v', 'held', now(), now())"))
    database.upgrade()
    with database.reading() as connection:
        assert connection.execute(text("SELECT flagged_spam, flagged_toxicity FROM comments")).one() == (True, False)
        assert connection.execute(text("SELECT code, action FROM comment_reasons")).one() == ("model_spam", "hold")
    database.check_schema()
    database.dispose()


def test_rate_limits_hold_across_workers_on_postgres(app_config, postgres_url, site_headers):
    database = Database(postgres_url)
    database.upgrade()
    database.dispose()
    workers = [limited_app({**app_config, "DATABASE_URL": postgres_url}, email="2/hour", ip="3/hour")
               for _ in range(2)]
    clients = [worker.test_client() for worker in workers]
    statuses = [post(clients[n % 2], site_headers, n, ip="203.0.113.7").status_code for n in range(4)]
    for worker in workers:
        worker.extensions["moderation.database"].engine.dispose()
    assert statuses == [201, 201, 429, 429]
