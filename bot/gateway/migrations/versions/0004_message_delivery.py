"""Outbox columns on messages: a web-chat message waits for the bot until it is answered, exactly once.

Revision ID: 0004_message_delivery
Revises: 0003_staff_inbox
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_message_delivery"
down_revision = "0003_staff_inbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("delivery", sa.String(16), nullable=True))
        batch.add_column(sa.Column("reply_to", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default=sa.text("0")))
        batch.add_column(sa.Column("pending_since", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("claimed_by", sa.String(64), nullable=True))
        batch.add_column(sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("raw_text", sa.Text(), nullable=True))
        batch.create_check_constraint(
            op.f("ck_messages_delivery"), "delivery IN ('pending', 'late', 'answered', 'staff')"
        )
        batch.create_foreign_key(
            op.f("fk_messages_reply_to_messages"), "messages", ["reply_to"], ["id"], ondelete="SET NULL"
        )
        batch.create_index(op.f("ix_messages_delivery"), ["delivery"])
        batch.create_index(op.f("ix_messages_reply_to"), ["reply_to"])


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_index(op.f("ix_messages_reply_to"))
        batch.drop_index(op.f("ix_messages_delivery"))
        batch.drop_constraint(op.f("fk_messages_reply_to_messages"), type_="foreignkey")
        batch.drop_constraint(op.f("ck_messages_delivery"), type_="check")
        for column in (
            "raw_text",
            "claimed_until",
            "claimed_by",
            "next_attempt_at",
            "pending_since",
            "attempts",
            "reply_to",
            "delivery",
        ):
            batch.drop_column(column)
