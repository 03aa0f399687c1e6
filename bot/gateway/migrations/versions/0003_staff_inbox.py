"""Staff inbox: ticket office, promised date and deadline; staff offices, transfers, labels, canned replies,
ratings, reply delivery, chat presence and office notices.

Revision ID: 0003_staff_inbox
Revises: 0002_message_external_id
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_staff_inbox"
down_revision = "0002_message_external_id"
branch_labels = None
depends_on = None

DEFAULT_OFFICE = "buergerservice"


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    referred = target.split(".")[0]
    return sa.ForeignKeyConstraint([column], [target], name=op.f(f"fk_{table}_{column}_{referred}"), ondelete=ondelete)


def _tickets() -> None:
    # Plain ADD COLUMN (no table copy): a batch copy on SQLite would lose the partial unique index's WHERE.
    op.add_column(
        "tickets", sa.Column("office", sa.String(80), nullable=False, server_default=sa.text(f"'{DEFAULT_OFFICE}'"))
    )
    op.add_column("tickets", sa.Column("service_id", sa.String(128), nullable=True))
    op.add_column("tickets", sa.Column("answer_by", sa.Date(), nullable=True))
    op.add_column("tickets", sa.Column("due_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("tickets", sa.Column("first_reply_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(op.f("ix_tickets_office"), "tickets", ["office"])


def _team() -> None:
    op.create_table(
        "staff_offices",
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("office", sa.String(80), nullable=False),
        _fk("staff_offices", "staff_id", "staff_users.id", "CASCADE"),
        sa.PrimaryKeyConstraint("staff_id", "office", name=op.f("pk_staff_offices")),
    )
    op.create_table(
        "ticket_transfers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("from_office", sa.String(80), nullable=False),
        sa.Column("to_office", sa.String(80), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _fk("ticket_transfers", "ticket_id", "tickets.id", "CASCADE"),
        _fk("ticket_transfers", "staff_id", "staff_users.id", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_transfers")),
    )
    op.create_index(op.f("ix_ticket_transfers_ticket_id"), "ticket_transfers", ["ticket_id"])
    op.create_table(
        "ticket_labels",
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(40), nullable=False),
        _fk("ticket_labels", "ticket_id", "tickets.id", "CASCADE"),
        sa.PrimaryKeyConstraint("ticket_id", "label", name=op.f("pk_ticket_labels")),
    )
    op.create_index(op.f("ix_ticket_labels_label"), "ticket_labels", ["label"])
    op.create_table(
        "canned_replies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("office", sa.String(80), nullable=True),
        sa.Column("title", sa.String(120), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _fk("canned_replies", "created_by", "staff_users.id", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_canned_replies")),
    )
    op.create_index(op.f("ix_canned_replies_office"), "canned_replies", ["office"])


def _citizen_side() -> None:
    op.create_table(
        "ticket_ratings",
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.SmallInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("score BETWEEN 1 AND 5", name=op.f("ck_ticket_ratings_score")),
        _fk("ticket_ratings", "ticket_id", "tickets.id", "CASCADE"),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_ticket_ratings")),
    )
    op.create_table(
        "reply_deliveries",
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(128), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("emailed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'seen', 'relayed', 'emailed', 'failed')", name=op.f("ck_reply_deliveries_status")
        ),
        _fk("reply_deliveries", "message_id", "messages.id", "CASCADE"),
        _fk("reply_deliveries", "conversation_id", "conversations.id", "CASCADE"),
        _fk("reply_deliveries", "ticket_id", "tickets.id", "CASCADE"),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_reply_deliveries")),
    )
    op.create_index(op.f("ix_reply_deliveries_conversation_id"), "reply_deliveries", ["conversation_id"])
    op.create_table(
        "chat_presence",
        sa.Column("conversation_id", sa.String(128), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("left_at", sa.DateTime(timezone=True), nullable=True),
        _fk("chat_presence", "conversation_id", "conversations.id", "CASCADE"),
        sa.PrimaryKeyConstraint("conversation_id", name=op.f("pk_chat_presence")),
    )
    op.create_table(
        "office_notices",
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('new', 'overdue')", name=op.f("ck_office_notices_kind")),
        _fk("office_notices", "ticket_id", "tickets.id", "CASCADE"),
        sa.PrimaryKeyConstraint("ticket_id", "kind", name=op.f("pk_office_notices")),
    )


def upgrade() -> None:
    _tickets()
    _team()
    _citizen_side()


def downgrade() -> None:
    for table in (
        "office_notices",
        "chat_presence",
        "reply_deliveries",
        "ticket_ratings",
        "canned_replies",
        "ticket_labels",
        "ticket_transfers",
        "staff_offices",
    ):
        op.drop_table(table)
    op.drop_index(op.f("ix_tickets_office"), table_name="tickets")
    for column in ("first_reply_at", "due_at", "answer_by", "service_id", "office"):
        op.drop_column("tickets", column)  # SQLite >= 3.35 drops columns in place (a copy would lose the index WHERE)
