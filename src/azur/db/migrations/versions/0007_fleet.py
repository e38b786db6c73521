"""fleet: the model catalog, worker registrations and the installation's identity, shared in the database

Revision ID: 0007_fleet
Revises: 0006_webhooks

Machines of a fleet share the database, not a directory: the catalog (a JSON file per data directory
before), the workers' heartbeats (``azur workers list``, which models are ready now) and the installation
id every worker signs and watermarks with.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_fleet"
down_revision = "0006_webhooks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "installed_models",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("family", sa.String(length=40), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "workers",
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("models", sa.JSON(), nullable=True),
        sa.Column("gpus", sa.JSON(), nullable=True),
        sa.Column("current_video_id", sa.String(length=40), nullable=True),
        sa.Column("started_at", sa.Double(), nullable=False),
        sa.Column("last_seen", sa.Double(), nullable=False),
        sa.Column("stopped_at", sa.Double(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_workers_last_seen", "workers", ["last_seen"], unique=False)
    op.create_table(
        "installation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("installation_id", sa.String(length=32), nullable=False),
        sa.Column("ca_cert_pem", sa.Text(), nullable=True),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("installation")
    op.drop_index("ix_workers_last_seen", table_name="workers")
    op.drop_table("workers")
    op.drop_table("installed_models")
