"""Creating, listing, revoking and checking API keys."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta
from functools import partial

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.database import Database, utcnow
from app.core.security import (
    Principal,
    generate_key,
    hash_key,
    keys_equal,
    normalise_scopes,
    split_key,
)

from . import repository
from .models import ApiKey

# `last_used_at` is a hint for operators, written at most this often per key (not per request)
TOUCH_EVERY = timedelta(minutes=5)
_DUMMY_HASH = "0" * 64


async def create(session: AsyncSession, name: str, scopes: Iterable[str], pepper: str) -> tuple[ApiKey, str]:
    """A new key; the plaintext is returned once and never stored."""
    key_id, plaintext = generate_key()
    record = ApiKey(id=key_id, key_hash=hash_key(plaintext, pepper), name=name,
                    scopes=" ".join(normalise_scopes(scopes)), created_at=utcnow())
    await repository.add(session, record)
    return record, plaintext


async def list_keys(session: AsyncSession) -> Sequence[ApiKey]:
    return await repository.list_all(session)


async def revoke(session: AsyncSession, key_id: str) -> bool:
    return await repository.revoke(session, key_id, utcnow())


async def any_exist(db: Database) -> bool:
    return await db.read(repository.any_exist)


async def authenticate(db: Database, presented: str, pepper: str) -> Principal | None:
    """The principal of a valid, unrevoked key, or None.

    Every authenticated request runs this, so the key is read with one statement outside a unit
    of work (`Database.read`: no ping, BEGIN or COMMIT); only the occasional `last_used_at`
    update takes one. A revocation is seen by the next request. The hash comparison is
    constant-time and runs even when the id is unknown, so response time does not tell a guessed
    id from a guessed secret.
    """
    parts = split_key(presented)
    record = await db.read(partial(repository.for_auth, key_id=parts[0])) if parts else None
    expected = record.key_hash if record is not None else _DUMMY_HASH
    ok = keys_equal(hash_key(presented, pepper), expected)
    if not ok or record is None or record.revoked_at is not None:
        return None
    now = utcnow()
    if record.last_used_at is None or now - record.last_used_at > TOUCH_EVERY:
        async with db.session() as session:
            await repository.touch(session, record.id, now)
    return Principal(key_id=record.id, name=record.name, scopes=frozenset(record.scopes.split()))
