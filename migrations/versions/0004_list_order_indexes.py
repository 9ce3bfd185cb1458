"""Indexes matching the list orders, so pages (first and deep ones) are read in index order.

Claims are listed newest first by coalesce(claim_date, '0001-01-02'), then id; events by
coalesce(date_start, '9999-12-30'), then id (see the claims and events repositories, which
write the expressions exactly like this). Both databases index expressions and compare row
values, so a keyset page is an index range scan.

Revision ID: 0004_list_order_indexes
Revises: 0003_jobs
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004_list_order_indexes"
down_revision: str | None = "0003_jobs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {
    "ix_claims_order": "claims (coalesce(claim_date, '0001-01-02'), id)",
    "ix_claims_speaker_order": "claims (speaker_id, coalesce(claim_date, '0001-01-02'), id)",
    "ix_events_order": "events (coalesce(date_start, '9999-12-30'), id)",
}


def upgrade() -> None:
    for name, target in INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON {target}")


def downgrade() -> None:
    for name in INDEXES:
        op.execute(f"DROP INDEX {name}")
