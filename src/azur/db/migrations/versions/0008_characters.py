"""characters: saved appearances a user reuses across clips (POST /v1/videos/characters)

Revision ID: 0008_characters
Revises: 0007_fleet
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_characters"
down_revision = "0007_fleet"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "characters",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("object_color", sa.String(length=20), nullable=False),
        sa.Column("shape", sa.String(length=20), nullable=False),
        sa.Column("size", sa.Double(), nullable=False),
        sa.Column("reference_key", sa.String(length=300), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("likeness_consent", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ux_characters_user_name", "characters", ["user_id", "name"], unique=True)
    op.create_index("ix_characters_user_created", "characters", ["user_id", "created_at", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_characters_user_created", table_name="characters")
    op.drop_index("ux_characters_user_name", table_name="characters")
    op.drop_table("characters")
