"""video options: what a request asked for beyond the core fields (audio, storyboard, loop, characters, ...)

Revision ID: 0004
Revises: 0003

One JSON column rather than a column per feature: each creative option (issue 17's storyboards, loop and
characters, issue 18's sound) is read by its own module from ``videos.options[<name>]``, and a worker
re-running a job finds the whole request there.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("videos") as batch:
        batch.add_column(sa.Column("options", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("videos") as batch:
        batch.drop_column("options")
