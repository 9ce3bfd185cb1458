"""Queries over the job queue. Claims are one atomic UPDATE; on PostgreSQL its inner SELECT takes
`FOR UPDATE SKIP LOCKED`, so concurrent workers each get different items without waiting, and on
SQLite the single-writer lock gives the same guarantee."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, distinct, exists, func, insert, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.articles.models import Article
from app.core.database import utcnow

from .models import _OPEN, DONE, FAILED, QUEUED, RUNNING, Job, JobItem


@dataclass(frozen=True)
class Claimed:
    id: int
    job_id: int
    article_id: int
    attempts: int


@dataclass(frozen=True)
class Work:
    article_id: int
    text: str
    published_on: date | None
    external_id: str | None


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


async def create_job(session: AsyncSession, kind: str, total: int) -> int:
    result = await session.execute(
        insert(Job).values(kind=kind, total=total, created_at=utcnow()).returning(Job.id))
    return int(result.scalar_one())


async def add_items(session: AsyncSession, job_id: int, items: Sequence[tuple[int, int, str]]) -> None:
    """Items as (position, article_id, state), in one multi-row INSERT."""
    if not items:
        return
    now = utcnow()
    rows = [{"job_id": job_id, "position": p, "article_id": a, "state": s, "attempts": 0, "updated_at": now}
            for p, a, s in items]
    await session.execute(insert(JobItem), rows)


def _stale(version: str, force: bool) -> Any:
    not_queued = ~exists().where(JobItem.article_id == Article.id, _OPEN)
    if force:
        return not_queued
    return and_(not_queued, or_(Article.extractor_version.is_(None), Article.extractor_version != version))


async def count_stale(session: AsyncSession, version: str, force: bool) -> int:
    return int((await session.execute(select(func.count()).where(_stale(version, force)))).scalar_one())


async def enqueue_stale(session: AsyncSession, job_id: int, version: str, force: bool) -> int:
    """Queue every article extracted by another version (all of them with `force`) in one
    INSERT ... SELECT; articles already waiting in the queue are not queued twice."""
    now = utcnow()
    src = select(literal(job_id), Article.id, Article.id, literal(QUEUED), literal(0),
                 literal(now, JobItem.updated_at.type)).where(_stale(version, force))
    cols = ["job_id", "position", "article_id", "state", "attempts", "updated_at"]
    result = await session.execute(insert(JobItem).from_select(cols, src))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def set_total(session: AsyncSession, job_id: int, total: int) -> None:
    await session.execute(update(Job).where(Job.id == job_id).values(total=total))


def _claimable(now: datetime) -> Any:
    return and_(_OPEN, or_(JobItem.state == QUEUED, JobItem.lease_expires_at < now))


async def has_open_work(session: AsyncSession) -> bool:
    """Any item not finished yet, including those leased to other workers (which may die)."""
    return (await session.execute(select(JobItem.id).where(_OPEN).limit(1))).first() is not None


async def purge_finished(session: AsyncSession, created_before: datetime, limit: int) -> int:
    """Delete up to `limit` jobs created before `created_before` none of whose items is still open,
    with their items (the articles stay); the number of jobs deleted."""
    still_open = exists().where(JobItem.job_id == Job.id, _OPEN)
    ids = [i for (i,) in await session.execute(
        select(Job.id).where(Job.created_at < created_before, ~still_open).order_by(Job.id).limit(limit))]
    if ids:
        await session.execute(delete(JobItem).where(JobItem.job_id.in_(ids)))
        await session.execute(delete(Job).where(Job.id.in_(ids)))
    return len(ids)


async def queue_depth(session: AsyncSession) -> int:
    """Items a worker could claim now: queued ones and those whose lease expired."""
    stmt = select(func.count()).select_from(JobItem).where(_claimable(utcnow()))
    return int((await session.execute(stmt)).scalar_one())


async def queue_stats(session: AsyncSession) -> tuple[int, int]:
    """(claimable items, workers holding live leases): one read over the open items, so a
    worker can size its claim to leave the others a share of the end of the queue."""
    now = utcnow()
    live = and_(JobItem.state == RUNNING, JobItem.lease_expires_at >= now)
    stmt = select(func.count().filter(_claimable(now)), func.count(distinct(JobItem.lease_owner)).filter(live)
                  ).select_from(JobItem).where(_OPEN)
    depth, owners = (await session.execute(stmt)).one()
    return int(depth or 0), int(owners or 0)


async def claim(session: AsyncSession, owner: str, limit: int, lease_s: float) -> list[Claimed]:
    """Lease up to `limit` items: queued ones, and running ones whose worker's lease expired."""
    now = utcnow()
    pick = select(JobItem.id).where(_claimable(now)).order_by(JobItem.id).limit(limit)
    if _dialect(session) == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    stmt = (update(JobItem).where(JobItem.id.in_(pick.scalar_subquery()))
            .values(state=RUNNING, lease_owner=owner, lease_expires_at=now + timedelta(seconds=lease_s),
                    attempts=JobItem.attempts + 1, updated_at=now)
            .returning(JobItem.id, JobItem.job_id, JobItem.article_id, JobItem.attempts))
    rows = (await session.execute(stmt.execution_options(synchronize_session=False))).all()
    return sorted((Claimed(*r) for r in rows), key=lambda c: c.id)


async def renew(session: AsyncSession, owner: str, ids: Sequence[int], lease_s: float) -> None:
    """Heartbeat: extend the leases this worker still holds."""
    if ids:
        await session.execute(
            update(JobItem).where(JobItem.id.in_(ids), JobItem.lease_owner == owner, JobItem.state == RUNNING)
            .values(lease_expires_at=utcnow() + timedelta(seconds=lease_s))
            .execution_options(synchronize_session=False))


async def finish(session: AsyncSession, item_id: int, owner: str, state: str,
                 error: str | None = None) -> bool:
    """Close an item this worker still holds. False when the lease was lost (another worker took
    the item over): the caller must then roll back. Run first in the storing transaction, the
    row lock it takes orders this worker against any other that claims the same item."""
    result = await session.execute(
        update(JobItem).where(JobItem.id == item_id, JobItem.lease_owner == owner, JobItem.state == RUNNING)
        .values(state=state, error=None if error is None else error[:2000], lease_expires_at=None,
                updated_at=utcnow())
        .returning(JobItem.id).execution_options(synchronize_session=False))
    return result.scalar_one_or_none() is not None


async def release(session: AsyncSession, item_id: int, owner: str, error: str) -> None:
    """Give an item back to the queue (a transient failure such as a deadlock)."""
    await session.execute(
        update(JobItem).where(JobItem.id == item_id, JobItem.lease_owner == owner, JobItem.state == RUNNING)
        .values(state=QUEUED, lease_owner=None, lease_expires_at=None, error=error[:2000],
                updated_at=utcnow())
        .execution_options(synchronize_session=False))


async def work_for(session: AsyncSession, article_ids: Sequence[int]) -> dict[int, Work]:
    stmt = select(Article.id, Article.text, Article.published_on, Article.external_id).where(
        Article.id.in_(article_ids))
    return {r[0]: Work(*r) for r in (await session.execute(stmt)).all()}


async def get_job(session: AsyncSession, job_id: int) -> Job | None:
    return await session.get(Job, job_id)


async def counts(session: AsyncSession, job_id: int) -> tuple[dict[str, int], datetime | None]:
    """Items per state, and when the last item changed."""
    stmt = (select(JobItem.state, func.count(), func.max(JobItem.updated_at))
            .where(JobItem.job_id == job_id).group_by(JobItem.state))
    out: dict[str, int] = {}
    last: datetime | None = None
    for state, n, changed in (await session.execute(stmt)).all():
        out[state] = int(n)
        if changed is not None and (last is None or changed > last):
            last = changed
    return out, last


async def items(session: AsyncSession, job_id: int, limit: int, *,
                failed_only: bool = False) -> list[JobItem]:
    stmt = select(JobItem).where(JobItem.job_id == job_id)
    if failed_only:
        stmt = stmt.where(JobItem.state == FAILED)
    rows = await session.execute(stmt.order_by(JobItem.position, JobItem.id).limit(limit))
    return list(rows.scalars().all())


__all__ = ["DONE", "FAILED", "Claimed", "Work"]
