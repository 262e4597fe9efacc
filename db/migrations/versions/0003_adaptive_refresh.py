"""adaptive refresh

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 07:46:57.199991
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("captures", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("not_due", sa.Boolean(), nullable=False, server_default=sa.false())
        )

    with op.batch_alter_table("pages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("refresh_hours", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("next_due_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("last_changed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("pages", schema=None) as batch_op:
        batch_op.drop_column("last_changed_at")
        batch_op.drop_column("next_due_at")
        batch_op.drop_column("refresh_hours")

    with op.batch_alter_table("captures", schema=None) as batch_op:
        batch_op.drop_column("not_due")
