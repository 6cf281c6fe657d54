"""Baseline: the schema of the last release before migrations (5c17256).

On an empty database it creates that schema. On a database that an earlier release made (before Alembic
owned the schema, each worker created missing tables and added missing columns at start), it does what those
releases did one last time: create missing tables, add missing columns and indexes. Later migrations start
from here.

Revision ID: 0001
Revises:
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# The tables as release 5c17256 defined them: this file must not import today's tables.
metadata = sa.MetaData()
sa.Table(
    "comments", metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("email", sa.String(320), nullable=False, index=True),
    sa.Column("comment", sa.Text, nullable=False),
    sa.Column("url", sa.String(2048), nullable=False, server_default=""),
    sa.Column("article_url", sa.String(2048), nullable=False, server_default=""),
    sa.Column("article_id", sa.String(200), nullable=False, server_default="", index=True),
    sa.Column("parent_id", sa.String(200), nullable=False, server_default=""),
    sa.Column("ip", sa.String(45), nullable=False, server_default="", index=True),
    sa.Column("user_agent", sa.String(1000), nullable=False, server_default=""),
    sa.Column("referrer", sa.String(2048), nullable=False, server_default=""),
    sa.Column("spam_score", sa.Float, nullable=False),
    sa.Column("toxicity_score", sa.Float, nullable=False),
    sa.Column("text_hash", sa.String(64), nullable=False, server_default="", index=True),
    sa.Column("uncertainty", sa.Float, nullable=False, server_default="0"),
    sa.Column("flags", sa.String(200), nullable=False, server_default=","),
    sa.Column("scores", sa.JSON, nullable=False),
    sa.Column("decision", sa.String(10), nullable=False),
    sa.Column("reasons", sa.JSON, nullable=False),
    sa.Column("model_version", sa.String(64), nullable=False),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("review", sa.JSON, nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_comments_status_created", "status", "created_at", "id"),
    sa.Index("ix_comments_status_uncertainty", "status", "uncertainty", "id"),
)
sa.Table(
    "labels", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("comment_id", sa.String(32), nullable=True, unique=True),
    sa.Column("name", sa.String(100), nullable=False, server_default=""),
    sa.Column("email", sa.String(320), nullable=False, server_default=""),
    sa.Column("url", sa.String(2048), nullable=False, server_default=""),
    sa.Column("comment", sa.Text, nullable=False),
    sa.Column("spam", sa.Boolean, nullable=False),
    sa.Column("toxic", sa.Boolean, nullable=False),
    sa.Column("category", sa.String(20), nullable=True),
    sa.Column("source", sa.String(20), nullable=False, index=True),
    sa.Column("evaluation", sa.Boolean, nullable=False, server_default=sa.false(), index=True),
    sa.Column("created_by", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)
sa.Table(
    "audit_log", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("target", sa.String(64), nullable=False, index=True),
    sa.Column("details", sa.JSON, nullable=False),
)
sa.Table(
    "jobs", metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("request", sa.JSON, nullable=False),
    sa.Column("result", sa.JSON, nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("created_by", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
)
sa.Table(
    "rule_entries", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(10), nullable=False),
    sa.Column("action", sa.String(10), nullable=False),
    sa.Column("match", sa.String(20), nullable=False),
    sa.Column("value", sa.String(500), nullable=False),
    sa.Column("note", sa.String(500), nullable=False, server_default=""),
    sa.Column("created_by", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)
sa.Table(
    "rule_settings", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("values", sa.JSON, nullable=False),
    sa.Column("updated_by", sa.String(64), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)


def upgrade() -> None:
    connection = op.get_bind()
    inspector = sa.inspect(connection)
    existing_tables = set(inspector.get_table_names())
    for table in metadata.sorted_tables:
        if table.name not in existing_tables:
            table.create(connection)
            continue
        present = {column["name"] for column in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name not in present:
                default = column.server_default.arg if column.server_default is not None else None
                op.add_column(table.name, sa.Column(column.name, column.type, nullable=column.nullable,
                                                    server_default=default))
        indexes = {index["name"] for index in inspector.get_indexes(table.name)}
        for index in table.indexes:
            if index.name not in indexes:
                index.create(connection)


def downgrade() -> None:
    for table in reversed(metadata.sorted_tables):
        op.drop_table(table.name)
