"""The database: engine, sessions, and the one place where transactions commit or roll back.

The engine is created in the application lifespan (`Database.connect`) and disposed on
shutdown. Services open a unit of work (`async with db.session() as s:`); leaving the block
commits, an exception rolls back, so a response is only sent after its writes are durable.
Queries themselves are built only in the domain repositories.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    DateTime,
    MetaData,
    Select,
    Table,
    bindparam,
    column,
    event,
    func,
    literal_column,
    select,
    text,
)
from sqlalchemy import table as table_clause
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every ORM model (schemas for the API live apart, in `schemas.py`)."""

    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps stored in UTC and always read back timezone-aware, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    """Foreign keys (for ON DELETE CASCADE), WAL and a busy timeout for concurrent writers."""
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def make_engine(url: str, *, echo: bool = False, pool_size: int = 10) -> AsyncEngine:
    kwargs: dict[str, Any] = {"echo": echo, "pool_pre_ping": True}
    if url.startswith("postgresql"):
        kwargs.update(pool_size=pool_size, max_overflow=pool_size)
    engine = create_async_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


class Database:
    """An engine and its session factory; one per application (created in the lifespan)."""

    def __init__(self, url: str, *, echo: bool = False, pool_size: int = 10) -> None:
        self.url = url
        self.engine = make_engine(url, echo=echo, pool_size=pool_size)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def session(self, *, write: bool = False) -> AsyncIterator[AsyncSession]:
        """A unit of work: commit when the block succeeds, roll back when it raises.

        `write=True` on SQLite starts with `BEGIN IMMEDIATE`: the write lock is taken up front
        (waiting up to the busy timeout) instead of at the first write, where a transaction that
        has already read would fail with "database is locked" when another writer got in first.
        """
        async with self.sessions() as session:
            try:
                if write and self.dialect == "sqlite":
                    await session.execute(text("BEGIN IMMEDIATE"))
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise

    async def ping(self) -> bool:
        """Whether the database answers (readiness)."""
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    async def dispose(self) -> None:
        await self.engine.dispose()


# deadlock, serialization failure, and a foreign key to a row deleted after it was read: in
# these writes a reference is only ever to a row just looked up, so a dangling one means a
# concurrent transaction pruned that row (an orphaned entity or event) and committed first
_RETRY_SQLSTATES = ("40P01", "40001", "23503")


def is_transient(exc: BaseException) -> bool:
    """A deadlock, a serialization failure or a row pruned under our feet (PostgreSQL), or a
    lock timeout (SQLite): the whole transaction may simply be run again, reading afresh."""
    orig = getattr(exc, "orig", None)
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return code in _RETRY_SQLSTATES or "database is locked" in str(orig or "")


def core_table(model: type[Base]) -> Table:
    """A model's Core table: batched INSERTs on it skip the ORM's bulk-insert bookkeeping, which
    costs more than the statement when rows are plain dicts anyway."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


def insert_ignore(
    dialect: str, model: Any, rows: Sequence[dict[str, Any]] | dict[str, Any] | None = None
) -> Any:
    """`INSERT ... ON CONFLICT DO NOTHING` for either backend: a unique constraint decides races.
    Without `rows`, the statement is meant for `session.execute(stmt, rows)` (executemany: one
    cached statement, batched into multi-row INSERTs within the driver's parameter limits)."""
    ins = postgresql.insert(model) if dialect == "postgresql" else sqlite.insert(model)
    return (ins if rows is None else ins.values(rows)).on_conflict_do_nothing()


_WORD = re.compile(r"\w+")


def search_words(q: str) -> list[str]:
    """The words of a full-text query (none: nothing can match)."""
    return _WORD.findall(q)


def fts5_match(words: Sequence[str]) -> str:
    """An FTS5 MATCH string of these words, each quoted: user text never becomes query syntax."""
    return " ".join('"' + w + '"' for w in words)


def pg_tsquery(words: Sequence[str]) -> Any:
    """PostgreSQL's query of these words (`plainto_tsquery` parses them: no query syntax)."""
    return func.plainto_tsquery(literal_column("'english'::regconfig"), " ".join(words))


def fulltext_ids(dialect: str, table: str, q: str) -> Select[Any] | None:
    """Ids of rows of `table` (articles) whose text matches the words of `q`.

    SQLite searches the FTS5 table `<table>_fts`; PostgreSQL the `search` tsvector column (GIN
    index). User text never becomes query syntax: on SQLite every word is quoted, on PostgreSQL
    `plainto_tsquery` parses it. Returns None when `q` has no words (nothing can match). (Claims
    are searched by their repository: SQLite's `claims_search` is keyed by the list order,
    migration 0005.)
    """
    words = search_words(q)
    if not words:
        return None
    if table != "articles":
        raise ValueError(table)
    if dialect == "sqlite":
        fts = table_clause(f"{table}_fts", column("rowid"))
        match: Any = bindparam("fts", fts5_match(words))
        return select(fts.c.rowid).where(literal_column(f"{table}_fts").op("MATCH")(match))
    target = table_clause(table, column("id"), column("search"))
    return select(target.c.id).where(target.c.search.op("@@")(pg_tsquery(words)))
