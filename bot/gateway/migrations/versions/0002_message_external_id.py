"""Idempotency key on messages (retries after a gateway restart are stored once).

Revision ID: 0002_message_external_id
Revises: 0001_initial
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_message_external_id"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("external_id", sa.String(160), nullable=True))
        batch.create_unique_constraint(op.f("uq_messages_external_id"), ["external_id"])


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_constraint(op.f("uq_messages_external_id"), type_="unique")
        batch.drop_column("external_id")
