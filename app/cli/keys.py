"""`newsclaims keys create|list|revoke`: manage API keys in the configured database.

The key is printed once, by `create`; only its keyed hash is stored. Hashes use
`NEWSCLAIMS_API_KEY_PEPPER`, so the CLI must run with the same value as the server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from app.core.database import Database
from app.core.security import SCOPES, normalise_scopes
from app.core.settings import Settings


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("keys", help="create, list or revoke API keys")
    keys = p.add_subparsers(dest="keys_command", required=True)
    c = keys.add_parser("create", help="create a key and print it (shown only once)")
    c.add_argument("--name", required=True, help="who or what the key is for")
    c.add_argument("--scope", action="append", choices=SCOPES, dest="scopes",
                   help="read, write or admin (repeatable; admin includes write includes read; "
                        "default: read)")
    c.add_argument("--json", action="store_true", help="print a JSON object instead of the bare key")
    c.set_defaults(func=run_create)
    ls = keys.add_parser("list", help="list keys (ids, names, scopes, dates; never the secrets)")
    ls.add_argument("--json", action="store_true", help="print JSON lines")
    ls.set_defaults(func=run_list)
    r = keys.add_parser("revoke", help="revoke a key by its id (takes effect on the next request)")
    r.add_argument("key_id", help="the 12-character id shown by `keys list`")
    r.set_defaults(func=run_revoke)


def _db(settings: Settings) -> Database:
    return Database(settings.effective_database_url)


async def _create(settings: Settings, name: str, scopes: list[str]) -> tuple[Any, str]:
    from app.keys import service

    db = _db(settings)
    try:
        async with db.session() as s:
            return await service.create(s, name, scopes, _pepper(settings))
    finally:
        await db.dispose()


async def _list(settings: Settings) -> list[Any]:
    from app.keys import service

    db = _db(settings)
    try:
        async with db.session() as s:
            return list(await service.list_keys(s))
    finally:
        await db.dispose()


async def _revoke(settings: Settings, key_id: str) -> bool:
    from app.keys import service

    db = _db(settings)
    try:
        async with db.session() as s:
            return await service.revoke(s, key_id)
    finally:
        await db.dispose()


def _pepper(settings: Settings) -> str:
    return str(getattr(settings, "api_key_pepper", "") or "")


def run_create(args: argparse.Namespace) -> int:
    try:
        scopes = normalise_scopes(args.scopes or ["read"])
    except ValueError as exc:
        print(f"newsclaims keys: {exc}", file=sys.stderr)
        return 2
    record, plaintext = asyncio.run(_create(Settings(), args.name, scopes))
    if args.json:
        print(json.dumps({"id": record.id, "name": record.name, "scopes": scopes, "key": plaintext}))
    else:
        print(plaintext)
        print(f"created key {record.id} ({' '.join(scopes)}) for {record.name!r}; "
              "store it now, it cannot be shown again", file=sys.stderr)
    return 0


def run_list(args: argparse.Namespace) -> int:
    rows = asyncio.run(_list(Settings()))
    for k in rows:
        doc = {"id": k.id, "name": k.name, "scopes": k.scopes.split(),
               "created_at": k.created_at.isoformat(),
               "last_used_at": k.last_used_at.isoformat() if k.last_used_at else None,
               "revoked_at": k.revoked_at.isoformat() if k.revoked_at else None}
        if args.json:
            print(json.dumps(doc))
        else:
            state = "revoked" if k.revoked_at else "active"
            print(f"{k.id}  {state:7}  {','.join(doc['scopes']):16}  {doc['created_at'][:19]}  {k.name}")
    return 0


def run_revoke(args: argparse.Namespace) -> int:
    if asyncio.run(_revoke(Settings(), args.key_id)):
        print(f"revoked {args.key_id}", file=sys.stderr)
        return 0
    print(f"newsclaims keys: no active key {args.key_id!r}", file=sys.stderr)
    return 1
