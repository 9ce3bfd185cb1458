"""`Database.read` runs the repositories' statements on the driver itself (`DriverReader`): the
rows must be the ones SQLAlchemy gives for the same statement (same type processing), whatever
the backend, and what it cannot run positionally, or what fails, must go through SQLAlchemy."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import Date, Float, Integer, String, bindparam, exc, func, literal, null, select

from app.core.database import Database, DriverReader, Rows

# module-level, as repositories keep theirs: one statement object, compiled once per dialect
# (the session runs this on both backends, so a cache keyed by statement alone would fail)
TYPED = select(
    bindparam("day", type_=Date).label("day"),
    func.coalesce(bindparam("missing", type_=Date), literal(date(2000, 1, 2), Date)).label("fallback"),
    literal(0.25, Float).label("quarter"),
    bindparam("word", type_=String).label("word"),
    null().label("empty"),
    (literal(40, Integer) + bindparam("two", type_=Integer)).label("sum"),
)
PARAMS: dict[str, Any] = {"day": date(2025, 3, 4), "missing": None, "word": "Zoë", "two": 2}


async def _sqlalchemy(db: Database, stmt: Any, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
    async with db.engine.connect() as conn:
        return [tuple(r) for r in (await conn.execute(stmt, params))]


async def test_rows_and_types_are_sqlalchemys(app: FastAPI) -> None:
    db: Database = app.state.db

    async def work(reader: DriverReader) -> Rows:
        assert isinstance(reader, DriverReader)
        return await reader.execute(TYPED, PARAMS)

    rows = await db.read(work)
    assert [tuple(r) for r in rows] == await _sqlalchemy(db, TYPED, PARAMS)
    (row,) = rows
    assert row == (date(2025, 3, 4), date(2000, 1, 2), 0.25, "Zoë", None, 42)
    assert (row.day, row.word, row.sum) == (date(2025, 3, 4), "Zoë", 42)  # columns by name too
    assert rows.first() is row and rows.scalar() == date(2025, 3, 4) and rows.all() == [row]


async def test_an_expanding_in_runs_through_sqlalchemy(app: FastAPI) -> None:
    db: Database = app.state.db
    five = literal(5, Integer)
    stmt = select(five.label("five")).where(five.in_(bindparam("ids", expanding=True)))

    async def work(reader: DriverReader) -> tuple[list[Any], list[Any]]:
        return ([tuple(r) for r in await reader.execute(stmt, {"ids": [1, 5]})],
                [tuple(r) for r in await reader.execute(stmt, {"ids": [1, 2]})])

    assert await db.read(work) == ([(5,)], [])


async def test_a_failing_statement_raises_sqlalchemys_error(app: FastAPI, db_url: str) -> None:
    """The service maps SQLAlchemy's errors (outage: 503, out of range: 422): a statement the
    driver rejects is run again through SQLAlchemy, which raises them."""
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite divides by zero without an error (NULL)")
    db: Database = app.state.db
    stmt = select(literal(1, Integer) / bindparam("zero", type_=Integer))

    async def work(reader: DriverReader) -> Rows:
        return await reader.execute(stmt, {"zero": 0})

    with pytest.raises(exc.DBAPIError) as raised:
        await db.read(work)
    assert "division by zero" in str(raised.value.orig) and not raised.value.connection_invalidated


async def test_reads_keep_their_connections_and_give_back_a_failed_one(db_url: str) -> None:
    """A read's connection stays checked out for the next read (no pool round trip per read);
    one whose work failed goes back to the pool (it may be mid-statement), as all do on dispose."""

    db = Database(db_url, pool_size=2)
    pool: Any = db.engine.pool
    drivers: list[Any] = []

    async def note(reader: DriverReader, wait: float = 0) -> None:
        drivers.append(reader.driver)
        await asyncio.sleep(wait)
        assert (await reader.execute(select(literal(1, Integer)))).scalar() == 1

    async def fail(reader: DriverReader) -> None:
        raise ValueError("the work's own error")

    try:
        await db.read(note)
        await db.read(note)
        assert drivers[0] is drivers[1] and drivers[0] is not None  # the same, kept connection
        assert pool.checkedout() == 1
        await asyncio.gather(db.read(lambda r: note(r, 0.05)), db.read(lambda r: note(r, 0.05)))
        assert pool.checkedout() == 2  # both kept (the pool size: reads wait past it)
        with pytest.raises(ValueError, match="own error"):
            await db.read(fail)
        assert pool.checkedout() == 1
    finally:
        await db.dispose()
    assert pool.checkedout() == 0


async def test_reads_are_outside_any_transaction(db_url: str) -> None:
    """On PostgreSQL every statement of a read, also one run through SQLAlchemy (text), is its
    own transaction (autocommit), on a new connection and on a kept one alike: a read never
    holds a snapshot or an open transaction between its statements."""
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite's driver opens no transaction before a read")
    from sqlalchemy import text

    db = Database(db_url, pool_size=1)
    xid = text("SELECT txid_current()")

    async def two(reader: DriverReader) -> tuple[Any, Any]:
        return (await reader.execute(xid)).scalar(), (await reader.execute(xid)).scalar()

    try:
        for _ in range(2):  # a new connection, then the kept one
            first, second = await db.read(two)
            assert first != second
    finally:
        await db.dispose()
