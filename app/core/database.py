"""The database: engine, sessions, and the one place where transactions commit or roll back.

The engine is created in the application lifespan (`Database.connect`) and disposed on
shutdown. Services open a unit of work (`async with db.session() as s:`); leaving the block
commits, an exception rolls back, so a response is only sent after its writes are durable.
Reads that change nothing go through `Database.read`: one connection without a transaction,
run again once if it turns out to have been dropped. Queries themselves are built only in the
domain repositories.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections import OrderedDict, deque, namedtuple
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from functools import partial
from typing import Any, NamedTuple, TypeVar

import aiosqlite
import orjson
from sqlalchemy import (
    DateTime,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    Text,
    any_,
    bindparam,
    cast,
    column,
    event,
    func,
    literal_column,
    select,
    text,
)
from sqlalchemy import exc as sa_exc
from sqlalchemy import table as table_clause
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeDecorator

from .sqlite_inline import InlineReader

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


# Set while `Database.read` checks a connection out: reads skip the liveness check (they are
# run again when the connection turns out to be dead), every other checkout pays it.
_READING: ContextVar[bool] = ContextVar("newsclaims_reading", default=False)


def _ping_unless_reading(engine: AsyncEngine) -> Callable[..., None]:
    """The pool's pre-ping, except for `Database.read`: a ping is a round trip per request
    (three on asyncpg outside a transaction: BEGIN, `;`, ROLLBACK), which for a short read costs
    more than the read. A dead connection makes the pool reconnect, as `pool_pre_ping` would."""
    dialect = engine.dialect

    def checkout(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
        if _READING.get():
            return
        try:
            dialect.do_ping(dbapi_conn)
        except dialect.loaded_dbapi.Error as exc:
            if dialect.is_disconnect(exc, dbapi_conn, None):
                raise sa_exc.InvalidatePoolError() from exc
            raise

    return checkout


class _OneTripCursor:
    """An aiosqlite cursor that executes, fetches and closes in ONE trip to the connection's
    thread. aiosqlite's own cursor takes a trip (a queue hand-off, a thread wake-up and a
    loop wake-up) for creating the cursor, executing, fetching and closing: four per statement,
    which for a short indexed read costs more CPU than SQLite itself. Rows are buffered, so a
    "server side" cursor reads all its rows at once (nothing here streams)."""

    def __init__(self, conn: _OneTripConnection) -> None:
        self._conn = conn
        self._rows: deque[Any] = deque()
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self.arraysize = 1

    async def __aenter__(self) -> _OneTripCursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        return None

    async def execute(self, sql: str, parameters: Any = None) -> _OneTripCursor:
        result = await self._conn._execute(_run, self._conn._conn, False, sql, parameters or ())
        self.description, self.rowcount, self.lastrowid, rows = result
        self._rows = deque(rows)
        return self

    async def executemany(self, sql: str, parameters: Any) -> _OneTripCursor:
        result = await self._conn._execute(_run, self._conn._conn, True, sql, parameters)
        self.description, self.rowcount, self.lastrowid, rows = result
        self._rows = deque(rows)
        return self

    async def fetchone(self) -> Any:
        return self._rows.popleft() if self._rows else None

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        n = min(len(self._rows), self.arraysize if size is None else size)
        return [self._rows.popleft() for _ in range(n)]

    async def fetchall(self) -> list[Any]:
        rows = list(self._rows)
        self._rows.clear()
        return rows

    async def close(self) -> None:
        self._rows.clear()


def _run(conn: sqlite3.Connection, many: bool, sql: str, params: Any
         ) -> tuple[Any, int, int | None, list[Any]]:
    """On the connection's thread: the whole statement, (description, rowcount, lastrowid, rows)."""
    cur = conn.cursor()
    try:
        if many:
            cur.executemany(sql, params)
        else:
            cur.execute(sql, params)
        rows = cur.fetchall() if cur.description else []
        return cur.description, cur.rowcount, cur.lastrowid, rows
    finally:
        cur.close()


class _OneTripConnection(aiosqlite.Connection):
    """aiosqlite with `_OneTripCursor`s, and COMMIT/ROLLBACK only when a transaction is open
    (sqlite3 begins one only before a write, so after a read there is nothing to end: no trip)."""

    def cursor(self) -> Any:
        return _OneTripCursor(self)

    async def commit(self) -> None:
        if self._conn.in_transaction:
            await self._execute(self._conn.commit)

    async def rollback(self) -> None:
        if self._conn.in_transaction:
            await self._execute(self._conn.rollback)


def _sqlite_connect(url: str) -> Callable[..., sqlite3.Connection]:
    """`sqlite3.connect` with the arguments SQLAlchemy's aiosqlite dialect derives from `url`."""
    u = make_url(url)
    cargs, cparams = u.get_dialect()().create_connect_args(u)
    return partial(sqlite3.connect, *cargs, **cparams)


def _sqlite_creator(url: str) -> Callable[[], Awaitable[aiosqlite.Connection]]:
    """Connects as SQLAlchemy's aiosqlite dialect does (same sqlite3 arguments), with
    `_OneTripConnection`."""
    connector = _sqlite_connect(url)

    async def connect() -> aiosqlite.Connection:
        conn = _OneTripConnection(connector, 64)
        conn._thread.daemon = True  # as SQLAlchemy does for aiosqlite's own connections
        return await conn

    return connect


def _inline_reader(url: str, budget_ms: float) -> InlineReader | None:
    """The event-loop reader of a SQLite file (app/core/sqlite_inline.py), with the same
    sqlite3 arguments as the pool's connections; None for PostgreSQL, an in-memory database
    (another connection would see another database) or a budget of 0."""
    u = make_url(url)
    if budget_ms <= 0 or u.get_backend_name() != "sqlite":
        return None
    if u.database in (None, "", ":memory:") or u.query.get("mode") == "memory":
        return None
    return InlineReader(_sqlite_connect(url), budget_ms / 1000)


def make_engine(url: str, *, echo: bool = False, pool_size: int = 10) -> AsyncEngine:
    kwargs: dict[str, Any] = {"echo": echo}
    if url.startswith("sqlite+aiosqlite"):
        kwargs.update(async_creator=_sqlite_creator(url))
    if url.startswith("postgresql") or make_url(url).database not in (None, "", ":memory:"):
        # SQLite files too: past the pool size, each request would open (a thread, PRAGMAs)
        # and close a connection of its own
        kwargs.update(pool_size=pool_size, max_overflow=pool_size)
    engine = create_async_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    event.listen(engine.sync_engine.pool, "checkout", _ping_unless_reading(engine))
    return engine


T = TypeVar("T")


class Rows(list[Any]):
    """A read's rows (tuples whose columns are also attributes, like SQLAlchemy's `Row`), with
    the few `Result` methods read-only repositories use."""

    def all(self) -> list[Any]:
        return self

    def first(self) -> Any:
        return self[0] if self else None

    def scalar(self) -> Any:
        return self[0][0] if self else None

    def scalar_one(self) -> Any:
        if len(self) != 1:
            raise sa_exc.NoResultFound("no row") if not self else sa_exc.MultipleResultsFound("rows")
        return self[0][0]


class _Compiled(NamedTuple):
    sql: str
    # (name, bind processor, value when not given: a literal's own) by position
    binds: tuple[tuple[str, Callable[[Any], Any] | None, Any], ...]
    row: type[tuple[Any, ...]]
    results: tuple[tuple[int, Callable[[Any], Any]], ...]  # (column, result processor)


class DriverReader:
    """`Database.read`'s connection: the repositories' statements (SQLAlchemy Core, usually
    built once per shape), each compiled once, run by the driver itself (asyncpg; sqlite3 in
    one trip to aiosqlite's thread; with no driver, everything goes through SQLAlchemy).

    Per statement, SQLAlchemy's execution path (greenlet hand-offs, execution context, cursor
    adaption, result metadata) costs about as much CPU as the driver's own round trip: ~150 µs
    of a list page's ~1 ms. Binds and results go through the type processors SQLAlchemy would
    apply; a statement this cannot run positionally (expanding `IN`, text) runs through the
    SQLAlchemy connection instead. Outside any transaction: on PostgreSQL each statement reads
    its own snapshot (autocommit); sqlite3 begins no transaction before a read."""

    _cache: OrderedDict[tuple[int, str], tuple[Any, _Compiled | None]] = OrderedDict()
    _CACHE_SIZE = 512

    def __init__(self, conn: AsyncConnection, driver: Any, inline: InlineReader | None = None) -> None:
        self.conn = conn
        self.driver = driver
        self.inline = inline
        self.dialect = conn.dialect
        self._pg = self.dialect.name == "postgresql"

    async def _compiled(self, stmt: Any) -> _Compiled | None:
        if self.driver is None:
            return None  # everything through SQLAlchemy
        cache, key = DriverReader._cache, (id(stmt), self.dialect.name)
        hit = cache.get(key)
        if hit is not None and hit[0] is stmt:
            cache.move_to_end(key)
            return hit[1]
        comp = stmt.compile(dialect=self.dialect)
        compiled: _Compiled | None = None
        if (hasattr(stmt, "selected_columns") and comp.positiontup is not None
                and not comp.post_compile_params and not comp.literal_execute_params):
            binds = tuple((name, (b := comp.binds[name]).type._cached_bind_processor(self.dialect),
                           b.effective_value) for name in comp.positiontup)
            cols = list(stmt.selected_columns)
            row = namedtuple("Row", [c.key for c in cols], rename=True)  # type: ignore[misc]
            # on PostgreSQL, result processors may depend on the column's server type (its OID)
            try:
                oids = ([a.type.oid for a in (await self.driver.prepare(comp.string)).get_attributes()]
                        if self._pg else [None] * len(cols))
            except Exception:
                return None  # not cached: run through SQLAlchemy, which maps the error (see execute)
            results = tuple((i, proc) for i, (c, oid) in enumerate(zip(cols, oids, strict=True))
                            if (proc := c.type._cached_result_processor(self.dialect, oid)) is not None)
            compiled = _Compiled(comp.string, binds, row, results)
        cache[key] = (stmt, compiled)  # the statement is kept: its id stays its own
        if len(cache) > DriverReader._CACHE_SIZE:
            cache.popitem(last=False)
        return compiled

    async def _sqlalchemy(self, stmt: Any, params: dict[str, Any] | None) -> Rows:
        return Rows((await self.conn.execute(stmt, params)).all())

    async def _fetch(self, sql: str, args: list[Any]) -> Sequence[Any]:
        if self._pg:
            records: Sequence[Any] = await self.driver.fetch(sql, *args)
            return records
        if self.inline is not None:  # on the loop's thread while it takes less than the budget
            inline_rows = self.inline.run(sql, args)
            if inline_rows is not None:
                return inline_rows
        # aiosqlite: the whole statement in one trip to the connection's thread
        _, _, _, rows = await self.driver._execute(_run, self.driver._conn, False, sql, args)
        return rows

    async def execute(self, stmt: Any, params: dict[str, Any] | None = None) -> Rows:
        compiled = await self._compiled(stmt)
        if compiled is None:
            return await self._sqlalchemy(stmt, params)
        given = params or {}
        args = [v if proc is None else proc(v)
                for name, proc, own in compiled.binds for v in (given.get(name, own),)]
        try:
            records = await self._fetch(compiled.sql, args)
        except Exception:
            # reads are idempotent: run it again through SQLAlchemy, whose errors the service
            # maps (a dropped connection is invalidated there, and `Database.read` retries)
            return await self._sqlalchemy(stmt, params)
        make = tuple.__new__
        row = compiled.row
        if not compiled.results:
            return Rows([make(row, r) for r in records])
        out = Rows()
        for r in records:
            values = list(r)
            for i, proc in compiled.results:
                values[i] = proc(values[i])
            out.append(make(row, values))
        return out

    async def scalar(self, stmt: Any, params: dict[str, Any] | None = None) -> Any:
        return (await self.execute(stmt, params)).scalar()


class Database:
    """An engine and its session factory; one per application (created in the lifespan)."""

    def __init__(self, url: str, *, echo: bool = False, pool_size: int = 10,
                 sqlite_inline_read_ms: float = 2.0) -> None:
        self.url = url
        self.engine = make_engine(url, echo=echo, pool_size=pool_size)
        self.inline = _inline_reader(url, sqlite_inline_read_ms)
        # reads wait here, first come first served, rather than past the pool's size: there the
        # pool opens an overflow connection per read and closes it on return (a new backend,
        # and its statements prepared again, per request under load: the p99 of busy lists)
        self._readers = asyncio.Semaphore(pool_size)
        # connections kept checked out between reads, each with its driver connection: taking
        # one from the pool and giving it back costs three greenlet hand-offs per read, and on
        # CPython 3.11 each new greenlet maps and unmaps a 16 KiB frame stack (6 system calls)
        self._kept: list[tuple[AsyncConnection, Any]] = []
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

    async def read(self, work: Callable[[Reading], Awaitable[T]]) -> T:
        """Run `work` (reads only) on one connection outside any transaction, once more on a
        fresh connection if the first turns out to be dead (a database restart or failover
        since it was last used: the pool then replaces every connection older than that).

        No BEGIN/COMMIT and no pre-ping: on PostgreSQL in autocommit, each statement reads its
        own snapshot, as it does inside a READ COMMITTED transaction; SQLite's driver opens no
        transaction before a read anyway.
        """
        async with self._readers:
            return await self._read(work)

    async def _read(self, work: Callable[[Reading], Awaitable[T]]) -> T:
        for attempt in (1, 2):
            # a retry gets a connection from the pool, which replaces those older than the
            # failure; the kept ones are as old, so they go back to it too
            conn, driver = self._kept.pop() if self._kept and attempt == 1 else await self._connect()
            done = False
            try:
                result = await work(DriverReader(conn, driver, self.inline))
                if conn.in_transaction():  # (begun by a statement run through SQLAlchemy)
                    await conn.rollback()
                done = True
                return result
            except sa_exc.DBAPIError as exc:
                if attempt == 2 or not exc.connection_invalidated:
                    raise
                await self._release_kept()
            finally:
                if done:
                    self._kept.append((conn, driver))
                else:  # (an error or a cancellation may leave it mid-statement: the pool resets it)
                    await conn.close()
        raise AssertionError("unreachable")

    async def _connect(self) -> tuple[AsyncConnection, Any]:
        token = _READING.set(True)
        try:
            conn = await self.engine.connect()
        finally:
            _READING.reset(token)
        try:
            if self.dialect == "postgresql":  # (once: the connection is kept for later reads)
                await conn.execution_options(isolation_level="AUTOCOMMIT")
            driver = (await conn.get_raw_connection()).driver_connection  # asyncpg's, or aiosqlite's
        except BaseException:
            await conn.close()
            raise
        return conn, driver

    async def _release_kept(self) -> None:
        kept, self._kept = self._kept, []
        for conn, _ in kept:
            await conn.close()

    async def ping(self) -> bool:
        """Whether the database answers (readiness)."""
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    async def dispose(self) -> None:
        if self.inline is not None:
            self.inline.close()
        await self._release_kept()
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


# `Database.read`'s connection
Reading = DriverReader
# what read-only repository functions take: a unit of work's session or `Database.read`'s connection
Reader = AsyncSession | AsyncConnection | DriverReader


def dialect_of(db: Reader) -> str:
    """The database dialect's name ('sqlite', 'postgresql') behind a session or connection."""
    if isinstance(db, AsyncConnection | DriverReader):
        return db.dialect.name
    return db.get_bind().dialect.name


def in_param(dialect: str, column: Any, name: str) -> ColumnElement[bool]:
    """`column IN :name` for a list of ids given at execution: a statement built once and
    reused (SQLAlchemy then need not rebuild it nor recompute its cache key per request);
    `= ANY(array)` on PostgreSQL, an expanding `IN` on SQLite."""
    if dialect == "postgresql":
        return column == any_(bindparam(name, type_=postgresql.ARRAY(Integer)))
    return column.in_(bindparam(name, expanding=True))


def json_rows(dialect: str, *columns: Any) -> ColumnElement[str]:
    """An aggregate: JSON text of an array holding, per row, the array of `columns`. As a
    correlated subquery it brings a list row's related rows within the page's one query (one
    round trip a page). Text on both backends: asyncpg would decode `json` itself."""
    if dialect == "postgresql":
        return cast(func.json_agg(func.json_build_array(*columns)), Text)
    return func.json_group_array(func.json_array(*columns), type_=Text)


def json_rows_of(value: str | None) -> list[list[Any]]:
    """A `json_rows` column's rows, in the order of their first element (the id)."""
    return sorted(orjson.loads(value)) if value else []


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


def pg_tsquery_param(name: str) -> Any:
    """`pg_tsquery` of the words given at execution as one string under `name`."""
    return func.plainto_tsquery(literal_column("'english'::regconfig"), bindparam(name, type_=String))


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
