"""Queries on `api_keys` (only this module builds them)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Row, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.database import Reading

from .models import ApiKey


async def add(session: AsyncSession, key: ApiKey) -> None:
    session.add(key)
    await session.flush()


# built once: `Database.read` compiles each statement once (app/core/database.py)
_FOR_AUTH = (select(ApiKey.id, ApiKey.key_hash, ApiKey.name, ApiKey.scopes, ApiKey.revoked_at,
                    ApiKey.last_used_at).where(ApiKey.id == bindparam("key_id")))
_ANY = select(ApiKey.id).limit(1)


async def for_auth(
    conn: Reading, key_id: str
) -> Row[str, str, str, str, datetime | None, datetime | None] | None:
    """What checking a presented key needs, read outside any unit of work (one statement)."""
    row: Row[str, str, str, str, datetime | None, datetime | None] | None = (
        await conn.execute(_FOR_AUTH, {"key_id": key_id})).first()
    return row


async def list_all(session: AsyncSession) -> Sequence[ApiKey]:
    return (await session.scalars(select(ApiKey).order_by(ApiKey.created_at, ApiKey.id))).all()


async def any_exist(conn: Reading) -> bool:
    """Whether a key was ever created (revoked ones count: revoking the last key must not open
    the service)."""
    return (await conn.scalar(_ANY)) is not None


async def revoke(session: AsyncSession, key_id: str, when: datetime) -> bool:
    result = await session.execute(
        update(ApiKey).where(ApiKey.id == key_id, ApiKey.revoked_at.is_(None)).values(revoked_at=when))
    return bool(getattr(result, "rowcount", 0))


async def touch(session: AsyncSession, key_id: str, when: datetime) -> None:
    await session.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=when))
