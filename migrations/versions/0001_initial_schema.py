"""Initial schema: articles, entities, mentions, claims, events, and full-text search.

Full text is backend-specific: FTS5 external-content tables kept in sync by triggers on SQLite,
a generated `tsvector` column with a GIN index on PostgreSQL.

Revision ID: 0001
Revises:
Create Date: 2026-11-24 20:39:30.617042
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


SQLITE_FTS = [
    "CREATE VIRTUAL TABLE articles_fts USING fts5(title, text, content='articles', content_rowid='id', "
    "tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER articles_fts_ai AFTER INSERT ON articles BEGIN "
    "INSERT INTO articles_fts(rowid, title, text) VALUES (new.id, coalesce(new.title, ''), new.text); END",
    "CREATE TRIGGER articles_fts_ad AFTER DELETE ON articles BEGIN "
    "INSERT INTO articles_fts(articles_fts, rowid, title, text) "
    "VALUES ('delete', old.id, coalesce(old.title, ''), old.text); END",
    "CREATE TRIGGER articles_fts_au AFTER UPDATE OF title, text ON articles BEGIN "
    "INSERT INTO articles_fts(articles_fts, rowid, title, text) "
    "VALUES ('delete', old.id, coalesce(old.title, ''), old.text); "
    "INSERT INTO articles_fts(rowid, title, text) VALUES (new.id, coalesce(new.title, ''), new.text); END",
    "CREATE VIRTUAL TABLE claims_fts USING fts5(content_text, content='claims', content_rowid='id', "
    "tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER claims_fts_ai AFTER INSERT ON claims BEGIN "
    "INSERT INTO claims_fts(rowid, content_text) VALUES (new.id, new.content_text); END",
    "CREATE TRIGGER claims_fts_ad AFTER DELETE ON claims BEGIN "
    "INSERT INTO claims_fts(claims_fts, rowid, content_text) VALUES ('delete', old.id, old.content_text); END",
    "CREATE TRIGGER claims_fts_au AFTER UPDATE OF content_text ON claims BEGIN "
    "INSERT INTO claims_fts(claims_fts, rowid, content_text) VALUES ('delete', old.id, old.content_text); "
    "INSERT INTO claims_fts(rowid, content_text) VALUES (new.id, new.content_text); END",
]

POSTGRES_FTS = [
    "ALTER TABLE articles ADD COLUMN search tsvector GENERATED ALWAYS AS "
    "(to_tsvector('english', coalesce(title, '') || ' ' || text)) STORED",
    "CREATE INDEX ix_articles_search ON articles USING gin (search)",
    "ALTER TABLE claims ADD COLUMN search tsvector GENERATED ALWAYS AS "
    "(to_tsvector('english', content_text)) STORED",
    "CREATE INDEX ix_claims_search ON claims USING gin (search)",
    # prefix search over names (LIKE 'abc%') can use a btree only with the pattern operator class
    "CREATE INDEX ix_entity_aliases_norm_pattern ON entity_aliases (norm text_pattern_ops)",
]


def upgrade() -> None:
    op.create_table('articles',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('source', sa.String(length=200), server_default='', nullable=False),
    sa.Column('external_id', sa.String(length=200), nullable=True),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('url', sa.Text(), nullable=True),
    sa.Column('language', sa.String(length=16), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('metadata', sa.JSON(), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_on', sa.Date(), nullable=True),
    sa.Column('sort_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('extraction_state', sa.String(length=16), nullable=False),
    sa.Column('extraction_error', sa.Text(), nullable=True),
    sa.Column('extractor_version', sa.String(length=32), nullable=True),
    sa.Column('extracted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_articles')),
    sa.UniqueConstraint('source', 'content_hash', name='uq_articles_source_content_hash'),
    sa.UniqueConstraint('source', 'external_id', name='uq_articles_source_external_id')
    )
    op.create_index('ix_articles_published_on', 'articles', ['published_on'])
    op.create_index('ix_articles_sort', 'articles', ['sort_at', 'id'])
    op.create_index('ix_articles_state', 'articles', ['extraction_state'])

    op.create_table('entities',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('type', sa.String(length=16), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('norm', sa.Text(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_entities'))
    )
    op.create_index('ix_entities_type_key', 'entities', ['type', 'key'])

    op.create_table('claims',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('local_id', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('content_start', sa.Integer(), nullable=False),
    sa.Column('content_end', sa.Integer(), nullable=False),
    sa.Column('content_text', sa.Text(), nullable=False),
    sa.Column('cue_start', sa.Integer(), nullable=True),
    sa.Column('cue_end', sa.Integer(), nullable=True),
    sa.Column('cue_text', sa.Text(), nullable=True),
    sa.Column('cue_lemma', sa.String(length=64), nullable=True),
    sa.Column('speaker_id', sa.Integer(), nullable=True),
    sa.Column('source_start', sa.Integer(), nullable=True),
    sa.Column('source_end', sa.Integer(), nullable=True),
    sa.Column('source_text', sa.Text(), nullable=True),
    sa.Column('source_name', sa.Text(), nullable=True),
    sa.Column('source_kind', sa.String(length=16), nullable=True),
    sa.Column('source_role', sa.Text(), nullable=True),
    sa.Column('via_id', sa.Integer(), nullable=True),
    sa.Column('via_text', sa.Text(), nullable=True),
    sa.Column('via_name', sa.Text(), nullable=True),
    sa.Column('via_kind', sa.String(length=16), nullable=True),
    sa.Column('said_on_value', sa.String(length=32), nullable=True),
    sa.Column('said_on', sa.Date(), nullable=True),
    sa.Column('claim_date', sa.Date(), nullable=True),
    sa.Column('confidence', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_claims_article_id_articles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['speaker_id'], ['entities.id'], name=op.f('fk_claims_speaker_id_entities'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['via_id'], ['entities.id'], name=op.f('fk_claims_via_id_entities'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_claims'))
    )
    op.create_index('ix_claims_article', 'claims', ['article_id'])
    op.create_index('ix_claims_date', 'claims', ['claim_date', 'id'])
    op.create_index('ix_claims_speaker_date', 'claims', ['speaker_id', 'claim_date'])
    op.create_index('ix_claims_via', 'claims', ['via_id'])

    op.create_table('entity_aliases',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=16), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('norm', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['entity_id'], ['entities.id'], name=op.f('fk_entity_aliases_entity_id_entities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_entity_aliases')),
    sa.UniqueConstraint('type', 'norm', name='uq_entity_aliases_type_norm')
    )
    op.create_index('ix_entity_aliases_entity', 'entity_aliases', ['entity_id'])
    op.create_index('ix_entity_aliases_norm', 'entity_aliases', ['norm'])

    op.create_table('entity_roles',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['entity_id'], ['entities.id'], name=op.f('fk_entity_roles_entity_id_entities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_entity_roles')),
    sa.UniqueConstraint('entity_id', 'role', name='uq_entity_roles_entity_role')
    )
    op.create_table('events',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('type', sa.String(length=32), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('date_value', sa.String(length=32), nullable=True),
    sa.Column('date_start', sa.Date(), nullable=True),
    sa.Column('date_end', sa.Date(), nullable=True),
    sa.Column('place_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['place_id'], ['entities.id'], name=op.f('fk_events_place_id_entities'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_events'))
    )
    op.create_index('ix_events_date', 'events', ['date_start', 'date_end'])
    op.create_index('ix_events_place', 'events', ['place_id'])
    op.create_index('ix_events_type_date', 'events', ['type', 'date_value'])

    op.create_table('mentions',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('start', sa.Integer(), nullable=False),
    sa.Column('end', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_mentions_article_id_articles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['entity_id'], ['entities.id'], name=op.f('fk_mentions_entity_id_entities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mentions'))
    )
    op.create_index('ix_mentions_article', 'mentions', ['article_id'])
    op.create_index('ix_mentions_entity_article', 'mentions', ['entity_id', 'article_id'])

    op.create_table('claim_entities',
    sa.Column('claim_id', sa.Integer(), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['claim_id'], ['claims.id'], name=op.f('fk_claim_entities_claim_id_claims'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['entity_id'], ['entities.id'], name=op.f('fk_claim_entities_entity_id_entities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('claim_id', 'entity_id', name=op.f('pk_claim_entities'))
    )
    op.create_index('ix_claim_entities_entity', 'claim_entities', ['entity_id', 'claim_id'])

    op.create_table('event_claims',
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['claim_id'], ['claims.id'], name=op.f('fk_event_claims_claim_id_claims'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_event_claims_event_id_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('event_id', 'claim_id', name=op.f('pk_event_claims'))
    )
    op.create_index('ix_event_claims_claim', 'event_claims', ['claim_id'])

    op.create_table('event_participants',
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_event_participants_article_id_articles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['entity_id'], ['entities.id'], name=op.f('fk_event_participants_entity_id_entities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_event_participants_event_id_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('event_id', 'entity_id', 'article_id', name=op.f('pk_event_participants'))
    )
    op.create_index('ix_event_participants_article', 'event_participants', ['article_id'])
    op.create_index('ix_event_participants_entity', 'event_participants', ['entity_id', 'event_id'])

    op.create_table('event_sources',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('local_id', sa.String(length=32), nullable=False),
    sa.Column('trigger_start', sa.Integer(), nullable=False),
    sa.Column('trigger_end', sa.Integer(), nullable=False),
    sa.Column('trigger_text', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_event_sources_article_id_articles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_event_sources_event_id_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_sources'))
    )
    op.create_index('ix_event_sources_article', 'event_sources', ['article_id'])
    op.create_index('ix_event_sources_event', 'event_sources', ['event_id'])

    dialect = op.get_bind().dialect.name
    for statement in SQLITE_FTS if dialect == "sqlite" else POSTGRES_FTS if dialect == "postgresql" else []:
        op.execute(statement)



def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("articles_fts_ai", "articles_fts_ad", "articles_fts_au",
                     "claims_fts_ai", "claims_fts_ad", "claims_fts_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS articles_fts")
        op.execute("DROP TABLE IF EXISTS claims_fts")
    op.drop_index('ix_event_sources_event', table_name='event_sources')
    op.drop_index('ix_event_sources_article', table_name='event_sources')

    op.drop_table('event_sources')
    op.drop_index('ix_event_participants_entity', table_name='event_participants')
    op.drop_index('ix_event_participants_article', table_name='event_participants')

    op.drop_table('event_participants')
    op.drop_index('ix_event_claims_claim', table_name='event_claims')

    op.drop_table('event_claims')
    op.drop_index('ix_claim_entities_entity', table_name='claim_entities')

    op.drop_table('claim_entities')
    op.drop_index('ix_mentions_entity_article', table_name='mentions')
    op.drop_index('ix_mentions_article', table_name='mentions')

    op.drop_table('mentions')
    op.drop_index('ix_events_type_date', table_name='events')
    op.drop_index('ix_events_place', table_name='events')
    op.drop_index('ix_events_date', table_name='events')

    op.drop_table('events')
    op.drop_table('entity_roles')
    op.drop_index('ix_entity_aliases_norm', table_name='entity_aliases')
    op.drop_index('ix_entity_aliases_entity', table_name='entity_aliases')

    op.drop_table('entity_aliases')
    op.drop_index('ix_claims_via', table_name='claims')
    op.drop_index('ix_claims_speaker_date', table_name='claims')
    op.drop_index('ix_claims_date', table_name='claims')
    op.drop_index('ix_claims_article', table_name='claims')

    op.drop_table('claims')
    op.drop_index('ix_entities_type_key', table_name='entities')

    op.drop_table('entities')
    op.drop_index('ix_articles_state', table_name='articles')
    op.drop_index('ix_articles_sort', table_name='articles')
    op.drop_index('ix_articles_published_on', table_name='articles')

    op.drop_table('articles')
