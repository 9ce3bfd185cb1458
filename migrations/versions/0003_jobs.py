"""Job queue: jobs and their per-article items (leased by workers).

Revision ID: 0003_jobs
Revises: 0002_keys_idempotency
Create Date: 2026-11-24 21:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.database

revision: str = '0003_jobs'
down_revision: str | None = '0002_keys_idempotency'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text("state IN ('queued', 'running')")


def upgrade() -> None:
    op.create_table(
        'jobs',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.Column('created_at', app.core.database.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_jobs')),
    )
    op.create_table(
        'job_items',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('job_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('article_id', sa.Integer(), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('lease_owner', sa.String(length=64), nullable=True),
        sa.Column('lease_expires_at', app.core.database.UTCDateTime(), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('updated_at', app.core.database.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_job_items_job_id_jobs'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['article_id'], ['articles.id'],
                                name=op.f('fk_job_items_article_id_articles'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_job_items')),
    )
    op.create_index('ix_job_items_open', 'job_items', ['id'], postgresql_where=OPEN, sqlite_where=OPEN)
    op.create_index('ix_job_items_job', 'job_items', ['job_id', 'position'])
    op.create_index('ix_job_items_article', 'job_items', ['article_id'])


def downgrade() -> None:
    op.drop_index('ix_job_items_article', table_name='job_items')
    op.drop_index('ix_job_items_job', table_name='job_items')
    op.drop_index('ix_job_items_open', table_name='job_items')
    op.drop_table('job_items')
    op.drop_table('jobs')
