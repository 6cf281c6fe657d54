"""Import batches, and each comment's language.

- import_batches: one row per `moderation import` run (where from, what format, how many rows were imported,
  rejected and skipped), so that a site can list its imports and remove one whole.
- labels.import_batch: the batch an imported label came from (null for every other label).
- comments.language: the language detected in the comment ("" when too short to tell, and for comments stored
  before detection existed).

Revision ID: 0005_imports_and_language
Revises: 0004
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_imports_and_language"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "import_batches",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("source", sa.String(500), nullable=False),
        sa.Column("format", sa.String(20), nullable=False),
        sa.Column("imported", sa.Integer, nullable=False),
        sa.Column("rejected", sa.Integer, nullable=False),
        sa.Column("skipped", sa.Integer, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("labels") as batch:
        batch.add_column(sa.Column("import_batch", sa.String(32), nullable=True))
        batch.create_index("ix_labels_import_batch", ["import_batch"])
    with op.batch_alter_table("comments") as batch:
        batch.add_column(sa.Column("language", sa.String(16), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("comments") as batch:
        batch.drop_column("language")
    with op.batch_alter_table("labels") as batch:
        batch.drop_index("ix_labels_import_batch")
        batch.drop_column("import_batch")
    op.drop_table("import_batches")
