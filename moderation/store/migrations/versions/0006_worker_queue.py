"""The jobs table becomes the work queue: attempts, retry time, the claiming worker and its heartbeat; at most one
training job queued or running.

Earlier releases started a training process for every request, so several training jobs may be queued or
running at upgrade time; all but the newest are marked failed before the unique index is created.

Revision ID: 0006_worker_queue
Revises: 0005_imports_and_language
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_worker_queue"
down_revision = "0005_imports_and_language"
branch_labels = None
depends_on = None

ACTIVE_TRAINING = "kind = 'train' AND status IN ('queued', 'running')"


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("attempts", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("run_after", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("worker", sa.String(100), nullable=True))
        batch.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
    newest = op.get_bind().execute(sa.text(
        f"SELECT id FROM jobs WHERE {ACTIVE_TRAINING} ORDER BY created_at DESC LIMIT 1")).scalar()  # noqa: S608
    op.get_bind().execute(
        sa.text(f"UPDATE jobs SET status = 'failed', error = :error WHERE {ACTIVE_TRAINING} AND id != :keep"),  # noqa: S608
        {"error": "superseded at upgrade: only one training job may be queued or running", "keep": newest or ""})
    op.create_index("ix_jobs_status_run_after", "jobs", ["status", "run_after"])
    op.create_index("ux_jobs_one_training", "jobs", ["kind"], unique=True,
                    postgresql_where=sa.text(ACTIVE_TRAINING), sqlite_where=sa.text(ACTIVE_TRAINING))


def downgrade() -> None:
    op.drop_index("ux_jobs_one_training", "jobs")
    op.drop_index("ix_jobs_status_run_after", "jobs")
    with op.batch_alter_table("jobs") as batch:
        for column in ("heartbeat_at", "worker", "run_after", "attempts"):
            batch.drop_column(column)
