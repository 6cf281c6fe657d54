"""Alembic owns the schema: databases of earlier releases upgrade without losing rows, and the service refuses a
database the migrations have not reached."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from moderation.cli import main
from moderation.store import Database, SchemaOutdated
from moderation.store.db import head_revision
from moderation.store.tables import metadata
from service import create_app

RELEASE_DUMP = Path(__file__).resolve().parent / "fixtures" / "database_release_5c17256.sql"
TABLES = ("comments", "labels", "audit_log", "jobs", "rule_entries", "rule_settings")


def counts(url: str) -> dict[str, int]:
    with Database(url).reading() as connection:
        return {table: connection.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar()  # noqa: S608
                for table in TABLES}


@pytest.fixture
def release_database(tmp_path, monkeypatch):
    """A database exactly as release 5c17256 made it, with rows in every table; DATABASE_URL points at it."""
    path = tmp_path / "release.db"
    with sqlite3.connect(path) as connection:
        connection.executescript(RELEASE_DUMP.read_text())
    url = f"sqlite:///{path}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("MODERATION_INSTANCE_PATH", str(tmp_path / "instance"))
    return url


def test_a_release_database_is_upgraded_and_loses_no_rows(release_database, capsys):
    before = counts(release_database)
    assert all(before.values())
    with Database(release_database).reading() as connection:
        old_flags = dict(connection.execute(text("SELECT id, flags FROM comments")).all())
    assert main(["db", "upgrade"]) == 0
    assert f"-> {head_revision()}" in capsys.readouterr().out
    assert counts(release_database) == before
    with Database(release_database).reading() as connection:
        flags = connection.execute(text("SELECT id, flagged_spam, flagged_toxicity FROM comments")).all()
        reasons = connection.execute(text("SELECT COUNT(*) FROM comment_reasons")).scalar()
        stored = connection.execute(text("SELECT reasons FROM comments")).scalars().all()
    assert {row.id: (bool(row.flagged_spam), bool(row.flagged_toxicity)) for row in flags} == {
        comment_id: (",spam," in old, ",toxicity," in old) for comment_id, old in old_flags.items()}
    assert any(",toxicity," in old for old in old_flags.values())
    assert reasons == sum(len(json.loads(r)) for r in stored)


def test_an_upgraded_release_database_serves_its_old_comments(release_database, app_config, site_headers,
                                                             moderator_headers):
    assert main(["db", "upgrade"]) == 0
    client = create_app({**app_config, "DATABASE_URL": release_database}).test_client()
    page = client.get("/v1/queue", query_string={"status": "rejected"}, headers=moderator_headers).get_json()
    assert {item["review"]["labels"]["toxic"] for item in page["items"]} == {True, False}
    comment = client.get(f"/v1/comments/{page['items'][0]['id']}", headers=site_headers)
    assert comment.status_code == 200
    stats = client.get("/v1/stats", query_string={"days": 365}, headers=moderator_headers).get_json()
    assert stats["comments"] == 4 and stats["reasons"]
    assert client.post("/v1/comments", json={"name": "Ann", "email": "ann@example.org", "comment": "Agreed."},
                       headers=site_headers).status_code == 201


def test_a_database_from_before_the_release_gets_its_missing_columns(tmp_path, monkeypatch):
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as connection:
        connection.execute(
            "CREATE TABLE comments (id VARCHAR(32) PRIMARY KEY, name VARCHAR(100) NOT NULL,"
            " email VARCHAR(320) NOT NULL, comment TEXT NOT NULL, url VARCHAR(2048) NOT NULL,"
            " article_url VARCHAR(2048) NOT NULL, article_id VARCHAR(200) NOT NULL, parent_id VARCHAR(200) NOT NULL,"
            " ip VARCHAR(45) NOT NULL, user_agent VARCHAR(1000) NOT NULL, referrer VARCHAR(2048) NOT NULL,"
            " spam_score FLOAT NOT NULL, toxicity_score FLOAT NOT NULL, scores JSON NOT NULL,"
            " decision VARCHAR(10) NOT NULL, reasons JSON NOT NULL, model_version VARCHAR(64) NOT NULL,"
            " status VARCHAR(10) NOT NULL, created_at DATETIME NOT NULL, updated_at DATETIME NOT NULL)")
        connection.execute(
            "INSERT INTO comments VALUES ('c1', 'Ann', 'ann@example.org', 'Hello', '', '', '', '', '', '', '',"
            " 0.1, 0.1, '{\"spam\": 0.1, \"toxicity\": 0.1}', 'accept', '[]', 'v', 'accepted',"
            " '2026-01-01 00:00:00', '2026-01-01 00:00:00')")
    url = f"sqlite:///{path}"
    database = Database(url)
    database.upgrade()
    database.check_schema()
    with database.reading() as connection:
        row = connection.execute(text("SELECT id, text_hash, uncertainty, flagged_spam FROM comments")).one()
    assert tuple(row) == ("c1", "", 0.0, 0)


def test_the_service_refuses_an_unmigrated_database(app_config, tmp_path):
    with pytest.raises(SchemaOutdated, match="moderation db upgrade"):
        create_app({**app_config, "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}"})


def test_db_current_names_the_revision(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    monkeypatch.setenv("MODERATION_INSTANCE_PATH", str(tmp_path / "instance"))
    assert main(["db", "current"]) == 0
    assert capsys.readouterr().out.strip() == "none"
    assert main(["db", "upgrade"]) == 0
    assert main(["db", "upgrade"]) == 0
    assert "up to date" in capsys.readouterr().out
    assert main(["db", "current"]) == 0
    assert capsys.readouterr().out.strip() == head_revision()


def test_the_tables_are_what_the_migrations_make(database_url):
    """tables.py (what queries use) and the migrations (what databases get) must not drift apart."""
    with Database(database_url).reading() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == []
