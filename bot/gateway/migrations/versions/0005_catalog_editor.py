"""Editorial workflow: the role ``editor`` for staff accounts and the history of published catalogue edits.

The role's CHECK constraint grows by one value. PostgreSQL drops and adds the constraint. SQLite cannot
alter a constraint, and the usual table copy would, with foreign keys on, run the delete actions of every
table that refers to ``staff_users`` (offices of accounts gone, tickets unassigned). Widening a CHECK
changes no stored row, so SQLite's documented ``writable_schema`` procedure rewrites only the table's
definition (https://www.sqlite.org/lang_altertable.html, "making other kinds of table schema changes").

Revision ID: 0005_catalog_editor
Revises: 0004_message_delivery
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_catalog_editor"
down_revision = "0004_message_delivery"
branch_labels = None
depends_on = None

OLD_ROLES = "role IN ('staff', 'admin')"
NEW_ROLES = "role IN ('staff', 'editor', 'admin')"


def _roles(old: str, new: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        op.drop_constraint(op.f("ck_staff_users_role"), "staff_users", type_="check")
        op.create_check_constraint(op.f("ck_staff_users_role"), "staff_users", new)
        return
    table_sql = bind.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'staff_users'")
    sql = table_sql.scalar_one()
    if old not in sql:
        raise RuntimeError(f"staff_users hat nicht die erwartete Rollen-Prüfung {old!r}: {sql}")
    version = int(bind.exec_driver_sql("PRAGMA schema_version").scalar_one())
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.exec_driver_sql(
        "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'staff_users'", (sql.replace(old, new),)
    )
    bind.exec_driver_sql(f"PRAGMA schema_version = {version + 1}")  # every connection reads the new definition
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")


def upgrade() -> None:
    _roles(OLD_ROLES, NEW_ROLES)
    op.create_table(
        "catalog_edits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(200), nullable=False),
        sa.Column("entry_id", sa.String(80), nullable=False),
        sa.Column("entry_name", sa.String(400), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("staff_name", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=False),
        sa.Column("diff", sa.Text(), nullable=False),
        sa.Column("restored_from", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff_users.id"], name=op.f("fk_catalog_edits_staff_id_staff_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["restored_from"],
            ["catalog_edits.id"],
            name=op.f("fk_catalog_edits_restored_from_catalog_edits"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_edits")),
    )
    for column in ("path", "entry_id", "created_at"):
        op.create_index(op.f(f"ix_catalog_edits_{column}"), "catalog_edits", [column])


def downgrade() -> None:
    for column in ("path", "entry_id", "created_at"):
        op.drop_index(op.f(f"ix_catalog_edits_{column}"), table_name="catalog_edits")
    op.drop_table("catalog_edits")
    op.execute("UPDATE staff_users SET role = 'staff' WHERE role = 'editor'")
    _roles(NEW_ROLES, OLD_ROLES)
