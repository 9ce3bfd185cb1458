"""Access paths for the lists at millions of rows: events by participant, claims by words.

Events by participant. `event_participants.event_date` copies the timeline key of its event,
coalesce(events.date_start, '9999-12-30') (as `ix_events_order`, migration 0004), so that
`ix_event_participants_timeline` (entity_id, event_date, event_id) reads one participant's
events in timeline order, a date window being a range of it: a page costs `limit` index
entries however many events the participant has or the table holds. Triggers keep the copy
right whoever writes (the application does not set it): on a participant row's insert, and on a
change of its event's date.

Claims by words, on SQLite. FTS5 returns matches in rowid order only, so the claim list (newest
claim date first, then id) had to read and sort every match (all ~100,000 claims containing a
common word at 1M claims). `claims_search` replaces `claims_fts`: a contentless FTS5 table whose
rowid is the claim's list order, (julian day of coalesce(claim_date, '0001-01-02')) << 32 | id,
so `ORDER BY rowid DESC LIMIT n` is the list's page and a cursor a rowid bound. (PostgreSQL
keeps its `search` tsvector and GIN index; the claims repository chooses its plan.)

Revision ID: 0005_list_access_paths
Revises: 0004_list_order_indexes
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_list_access_paths"
down_revision: str | None = "0004_list_order_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMELINE_INDEX = "ix_event_participants_timeline"


def _key(row: str) -> str:
    """The claim's list-order key (app/claims/repository.py computes the same in Python)."""
    return (f"((CAST(julianday(coalesce({row}.claim_date, '0001-01-02')) AS INTEGER) << 32) "
            f"| {row}.id)")


SQLITE_UP = [
    # events by participant
    "CREATE TRIGGER event_participants_date_ai AFTER INSERT ON event_participants BEGIN "
    "UPDATE event_participants SET event_date = (SELECT coalesce(date_start, '9999-12-30') FROM events "
    "WHERE id = new.event_id) WHERE rowid = new.rowid; END",
    "CREATE TRIGGER events_date_au AFTER UPDATE OF date_start ON events BEGIN "
    "UPDATE event_participants SET event_date = coalesce(new.date_start, '9999-12-30') "
    "WHERE event_id = new.id; END",
    # claims by words
    "DROP TRIGGER IF EXISTS claims_fts_ai",
    "DROP TRIGGER IF EXISTS claims_fts_ad",
    "DROP TRIGGER IF EXISTS claims_fts_au",
    "DROP TABLE IF EXISTS claims_fts",
    "CREATE VIRTUAL TABLE claims_search USING fts5(content_text, content='', "
    "tokenize='porter unicode61 remove_diacritics 2')",
    f"INSERT INTO claims_search(rowid, content_text) SELECT {_key('claims')}, content_text FROM claims",
    "CREATE TRIGGER claims_search_ai AFTER INSERT ON claims BEGIN "
    f"INSERT INTO claims_search(rowid, content_text) VALUES ({_key('new')}, new.content_text); END",
    "CREATE TRIGGER claims_search_ad AFTER DELETE ON claims BEGIN "
    "INSERT INTO claims_search(claims_search, rowid, content_text) "
    f"VALUES ('delete', {_key('old')}, old.content_text); END",
    "CREATE TRIGGER claims_search_au AFTER UPDATE OF content_text, claim_date ON claims BEGIN "
    "INSERT INTO claims_search(claims_search, rowid, content_text) "
    f"VALUES ('delete', {_key('old')}, old.content_text); "
    f"INSERT INTO claims_search(rowid, content_text) VALUES ({_key('new')}, new.content_text); END",
]

SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS claims_search_ai",
    "DROP TRIGGER IF EXISTS claims_search_ad",
    "DROP TRIGGER IF EXISTS claims_search_au",
    "DROP TABLE IF EXISTS claims_search",
    # migration 0001's external-content table and triggers
    "CREATE VIRTUAL TABLE claims_fts USING fts5(content_text, content='claims', content_rowid='id', "
    "tokenize='porter unicode61 remove_diacritics 2')",
    "INSERT INTO claims_fts(claims_fts) VALUES ('rebuild')",
    "CREATE TRIGGER claims_fts_ai AFTER INSERT ON claims BEGIN "
    "INSERT INTO claims_fts(rowid, content_text) VALUES (new.id, new.content_text); END",
    "CREATE TRIGGER claims_fts_ad AFTER DELETE ON claims BEGIN "
    "INSERT INTO claims_fts(claims_fts, rowid, content_text) VALUES ('delete', old.id, old.content_text); END",
    "CREATE TRIGGER claims_fts_au AFTER UPDATE OF content_text ON claims BEGIN "
    "INSERT INTO claims_fts(claims_fts, rowid, content_text) VALUES ('delete', old.id, old.content_text); "
    "INSERT INTO claims_fts(rowid, content_text) VALUES (new.id, new.content_text); END",
    "DROP TRIGGER IF EXISTS event_participants_date_ai",
    "DROP TRIGGER IF EXISTS events_date_au",
]

POSTGRES_UP = [
    "CREATE FUNCTION event_participants_date() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "SELECT coalesce(date_start, DATE '9999-12-30') INTO NEW.event_date FROM events WHERE id = NEW.event_id; "
    "RETURN NEW; END $$",
    "CREATE TRIGGER event_participants_date BEFORE INSERT OR UPDATE OF event_id ON event_participants "
    "FOR EACH ROW EXECUTE FUNCTION event_participants_date()",
    "CREATE FUNCTION events_date_sync() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "UPDATE event_participants SET event_date = coalesce(NEW.date_start, DATE '9999-12-30') "
    "WHERE event_id = NEW.id; RETURN NULL; END $$",
    "CREATE TRIGGER events_date_sync AFTER UPDATE OF date_start ON events FOR EACH ROW "
    "WHEN (OLD.date_start IS DISTINCT FROM NEW.date_start) EXECUTE FUNCTION events_date_sync()",
]

POSTGRES_DOWN = [
    "DROP TRIGGER IF EXISTS events_date_sync ON events",
    "DROP FUNCTION IF EXISTS events_date_sync()",
    "DROP TRIGGER IF EXISTS event_participants_date ON event_participants",
    "DROP FUNCTION IF EXISTS event_participants_date()",
]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.add_column("event_participants", sa.Column("event_date", sa.Date(), nullable=True))
    op.execute(
        "UPDATE event_participants SET event_date = (SELECT coalesce(date_start, '9999-12-30') FROM events "
        "WHERE events.id = event_participants.event_id)"
    )
    op.create_index(TIMELINE_INDEX, "event_participants", ["entity_id", "event_date", "event_id"])
    for statement in SQLITE_UP if dialect == "sqlite" else POSTGRES_UP if dialect == "postgresql" else []:
        op.execute(statement)
    op.execute("ANALYZE event_participants")  # statistics for the new index: the planners weigh it


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_DOWN if dialect == "sqlite" else POSTGRES_DOWN if dialect == "postgresql" else []:
        op.execute(statement)
    op.drop_index(TIMELINE_INDEX, table_name="event_participants")
    op.drop_column("event_participants", "event_date")  # SQLite >= 3.35 drops a column in place
