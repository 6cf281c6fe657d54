"""API keys stored hashed, and the counters of the rate limits.

- api_keys: one row per key created with `moderation keys create`; only a SHA-256 of the secret is kept.
- rate_counters: fixed-window counters of the rate limits, for deployments without Redis (every worker and
  replica shares them through the database).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("name", sa.String(100), nullable=False, server_default=""),
        sa.Column("secret_sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("akismet_only", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "rate_counters",
        sa.Column("key", sa.String(300), primary_key=True),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
    )
    op.create_index("ix_rate_counters_expires_at", "rate_counters", ["expires_at"])


def downgrade() -> None:
    op.drop_table("rate_counters")
    op.drop_table("api_keys")
