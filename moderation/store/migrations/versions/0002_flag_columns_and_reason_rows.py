"""Flags become real columns, reasons get a row each for stats, and the author history gets its indexes.

- comments.flags (",spam,toxicity," filtered with LIKE) becomes flagged_spam and flagged_toxicity.
- comment_reasons holds one row per reason of every comment, so that stats are a GROUP BY; it is filled
  from the reasons already stored.
- (email, created_at) and (ip, created_at) serve the one author-history query; (flagged_spam, status,
  created_at) the near-duplicate rule's recent spam; created_at the stats.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BATCH = 1000


def _backfill_reasons(connection) -> None:
    comments = sa.table("comments", sa.column("id"), sa.column("created_at"), sa.column("reasons", sa.JSON))
    reasons = sa.table("comment_reasons", sa.column("comment_id"), sa.column("created_at"), sa.column("code"),
                       sa.column("action"), sa.column("shadow"))
    last_id = ""
    while True:
        rows = connection.execute(sa.select(comments.c.id, comments.c.created_at, comments.c.reasons)
                                  .where(comments.c.id > last_id).order_by(comments.c.id).limit(BATCH)).all()
        if not rows:
            return
        values = [{"comment_id": row.id, "created_at": row.created_at, "code": str(reason.get("code", ""))[:40],
                   "action": str(reason.get("action", "accept"))[:10], "shadow": bool(reason.get("shadow", False))}
                  for row in rows for reason in (row.reasons or []) if isinstance(reason, dict)]
        if values:
            connection.execute(reasons.insert(), values)
        last_id = rows[-1].id


def upgrade() -> None:
    with op.batch_alter_table("comments") as batch:
        batch.add_column(sa.Column("flagged_spam", sa.Boolean, nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("flagged_toxicity", sa.Boolean, nullable=False, server_default=sa.false()))
    op.execute("UPDATE comments SET flagged_spam = (flags LIKE '%,spam,%'), "
               "flagged_toxicity = (flags LIKE '%,toxicity,%')")
    with op.batch_alter_table("comments") as batch:
        batch.drop_column("flags")
        batch.drop_index("ix_comments_email")
        batch.drop_index("ix_comments_ip")
        batch.create_index("ix_comments_email_created", ["email", "created_at"])
        batch.create_index("ix_comments_ip_created", ["ip", "created_at"])
        batch.create_index("ix_comments_spam_status_created", ["flagged_spam", "status", "created_at"])
        batch.create_index("ix_comments_created_at", ["created_at"])
    op.create_table(
        "comment_reasons",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("comment_id", sa.String(32), sa.ForeignKey("comments.id", ondelete="CASCADE"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("action", sa.String(10), nullable=False),
        sa.Column("shadow", sa.Boolean, nullable=False),
    )
    op.create_index("ix_comment_reasons_comment_id", "comment_reasons", ["comment_id"])
    op.create_index("ix_comment_reasons_created_at", "comment_reasons", ["created_at"])
    _backfill_reasons(op.get_bind())


def downgrade() -> None:
    op.drop_table("comment_reasons")
    with op.batch_alter_table("comments") as batch:
        batch.add_column(sa.Column("flags", sa.String(200), nullable=False, server_default=","))
    op.execute("UPDATE comments SET flags = ',' || CASE WHEN flagged_spam THEN 'spam,' ELSE '' END"
               " || CASE WHEN flagged_toxicity THEN 'toxicity,' ELSE '' END")
    with op.batch_alter_table("comments") as batch:
        batch.drop_index("ix_comments_created_at")
        batch.drop_index("ix_comments_spam_status_created")
        batch.drop_index("ix_comments_ip_created")
        batch.drop_index("ix_comments_email_created")
        batch.create_index("ix_comments_ip", ["ip"])
        batch.create_index("ix_comments_email", ["email"])
        batch.drop_column("flagged_toxicity")
        batch.drop_column("flagged_spam")
