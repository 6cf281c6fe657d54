"""Labels carry their provenance, and may say nothing about spam or toxicity.

- provenance: moderator (a review, feedback, the dashboard), report (a site's Akismet submit-spam/ham or
  Perspective suggestscore) or import. Existing rows are classified by their source.
- spam and toxic become nullable: a report says only what it means ("not spam" says nothing about toxicity).
- comment_id is no longer unique: a comment can have a moderator's label and reports from sites.

SQLite cannot drop a unique constraint in place, so the table is rebuilt on every database (same on PostgreSQL,
for one code path); ids are kept.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

PROVENANCE = {"review": "moderator", "feedback": "moderator", "akismet": "report", "perspective": "report",
              "import": "import"}
COLUMNS = "id, comment_id, name, email, url, comment, spam, toxic, category, source, evaluation, created_by, created_at"


def upgrade() -> None:
    op.create_table(
        "labels_new",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("comment_id", sa.String(32), nullable=True),
        sa.Column("name", sa.String(100), nullable=False, server_default=""),
        sa.Column("email", sa.String(320), nullable=False, server_default=""),
        sa.Column("url", sa.String(2048), nullable=False, server_default=""),
        sa.Column("comment", sa.Text, nullable=False),
        sa.Column("spam", sa.Boolean, nullable=True),
        sa.Column("toxic", sa.Boolean, nullable=True),
        sa.Column("category", sa.String(20), nullable=True),
        sa.Column("provenance", sa.String(10), nullable=False, server_default="moderator"),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("evaluation", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.execute(f"INSERT INTO labels_new ({COLUMNS}) SELECT {COLUMNS} FROM labels")  # noqa: S608 (constant columns)
    backfill = sa.text("UPDATE labels_new SET provenance = :p WHERE source = :s")
    for source, provenance in PROVENANCE.items():
        op.execute(backfill.bindparams(p=provenance, s=source))
    op.drop_table("labels")
    op.rename_table("labels_new", "labels")
    if op.get_bind().dialect.name == "postgresql":
        # The copied ids must not be handed out again.
        op.execute("ALTER SEQUENCE labels_new_id_seq RENAME TO labels_id_seq")
        op.execute("SELECT setval('labels_id_seq', COALESCE((SELECT MAX(id) FROM labels), 0) + 1, false)")
    op.create_index("ix_labels_comment_id", "labels", ["comment_id"])
    op.create_index("ix_labels_provenance", "labels", ["provenance"])
    op.create_index("ix_labels_source", "labels", ["source"])
    op.create_index("ix_labels_evaluation", "labels", ["evaluation"])


def downgrade() -> None:
    raise NotImplementedError("labels with provenance cannot go back to one label per comment")
