"""Queries on `api_keys` (only this module builds them)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from .models import ApiKey


async def add(session: AsyncSession, key: ApiKey) -> None:
    session.add(key)
    await session.flush()


async def get(session: AsyncSession, key_id: str) -> ApiKey | None:
    return await session.get(ApiKey, key_id)


async def list_all(session: AsyncSession) -> Sequence[ApiKey]:
    return (await session.scalars(select(ApiKey).order_by(ApiKey.created_at, ApiKey.id))).all()


async def any_exist(session: AsyncSession) -> bool:
    """Whether a key was ever created (revoked ones count: revoking the last key must not open
    the service)."""
    return (await session.scalar(select(ApiKey.id).limit(1))) is not None


async def revoke(session: AsyncSession, key_id: str, when: datetime) -> bool:
    result = await session.execute(
        update(ApiKey).where(ApiKey.id == key_id, ApiKey.revoked_at.is_(None)).values(revoked_at=when))
    return bool(getattr(result, "rowcount", 0))


async def touch(session: AsyncSession, key_id: str, when: datetime) -> None:
    await session.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=when))
