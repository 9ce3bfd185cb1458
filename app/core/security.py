"""API-key authentication and scope checks.

Keys look like `nc_<id>_<secret>`: the 12-hex-character id is public (it names the key in
`keys list`, `keys revoke` and the logs); the secret is 256 random bits. Only
HMAC-SHA256(pepper, key) is stored, so a copy of the database does not let anyone in, and the
comparison is constant-time. A client sends the key as `Authorization: Bearer <key>` or
`X-API-Key: <key>`.

Scopes are ordered: `admin` includes `write`, which includes `read`. Safe methods (GET, HEAD,
OPTIONS) need `read`; every other method needs `write`.

`NEWSCLAIMS_AUTH` picks the rule:

- `auto` (default): keys are required as soon as one has ever been created (a revoked key still
  counts, so revoking the last key does not open the service); a fresh install with no keys is
  open so that `make run` works at once;
- `keys`: keys are always required (an empty key table means nobody gets in);
- `none`: no checks at all, for a deployment where the gateway in front authenticates.

Probes (`/livez`, `/readyz`), `/metrics` and the API docs are never behind keys: the gateway must
not route them from outside (see docs/operations.md).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from starlette.types import ASGIApp, Receive, Scope, Send

from .http import send_problem

AuthMode = Literal["auto", "keys", "none"]
SCOPES: tuple[str, ...] = ("read", "write", "admin")  # each includes the ones before it
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PUBLIC_PATHS = frozenset({"/livez", "/readyz", "/metrics", "/docs", "/docs/oauth2-redirect", "/redoc",
                          "/openapi.json"})
KEY_PREFIX = "nc_"
REALM = "newsclaims"

log = logging.getLogger("newsclaims.security")


@dataclass(frozen=True, slots=True)
class Principal:
    """Who made the request: the key's public id, its name and its scopes."""

    key_id: str
    name: str
    scopes: frozenset[str]

    def allows(self, needed: str) -> bool:
        return any(SCOPES.index(s) >= SCOPES.index(needed) for s in self.scopes if s in SCOPES)


ANONYMOUS = Principal(key_id="", name="anonymous", scopes=frozenset({"admin"}))


def generate_key() -> tuple[str, str]:
    """(public id, full key)."""
    key_id = secrets.token_hex(6)
    return key_id, f"{KEY_PREFIX}{key_id}_{secrets.token_urlsafe(32)}"


def split_key(key: str) -> tuple[str, str] | None:
    """(id, secret) of a well-formed key, else None (checked without regular expressions)."""
    if not key.startswith(KEY_PREFIX) or len(key) > 200:
        return None
    key_id, sep, secret = key[len(KEY_PREFIX):].partition("_")
    if not sep or len(key_id) != 12 or not secret:
        return None
    if any(c not in "0123456789abcdef" for c in key_id):
        return None
    return key_id, secret


def hash_key(key: str, pepper: str) -> str:
    """HMAC-SHA256 keyed with the server pepper (plain SHA-256 when no pepper is set; the key's
    256 random bits already make guessing from the hash infeasible)."""
    return hmac.new(pepper.encode(), key.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


def keys_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def normalise_scopes(scopes: Iterable[str]) -> list[str]:
    out = sorted({s.strip().lower() for s in scopes if s.strip()}, key=lambda s: SCOPES.index(s)
                 if s in SCOPES else len(SCOPES))
    bad = [s for s in out if s not in SCOPES]
    if bad or not out:
        raise ValueError(f"scopes must be among {', '.join(SCOPES)} (got {', '.join(bad) or 'none'})")
    return out


def required_scope(method: str, path: str) -> str:
    if path.startswith("/v1/admin"):
        return "admin"
    return "read" if method in SAFE_METHODS else "write"


def presented_key(scope: Scope) -> str | None:
    """The key from `Authorization: Bearer` or `X-API-Key` (Bearer wins when both are sent)."""
    bearer = api_key = None
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                bearer = token.strip()
        elif name == b"x-api-key" and value.strip():
            api_key = value.decode("latin-1").strip()
    return bearer or api_key


def route_path(scope: Scope) -> str:
    """The path below the gateway prefix (`root_path`)."""
    path: str = scope.get("path", "")
    root = scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root):] or "/"
    return path


# looks up a key -> Principal | None; and tells whether any key exists
Authenticate = Callable[[Scope, str], Awaitable[Principal | None]]
AnyKeys = Callable[[Scope], Awaitable[bool]]


class AuthMiddleware:
    """Refuses requests without a valid key (401) or without the scope they need (403).

    The authenticated principal is left in `scope["state"]["principal"]` for the layers below
    (idempotency keys are scoped to it).
    """

    def __init__(self, app: ASGIApp, *, mode: AuthMode, authenticate: Authenticate, any_keys: AnyKeys,
                 public_paths: frozenset[str] = PUBLIC_PATHS) -> None:
        self.app = app
        self.mode = mode
        self.authenticate = authenticate
        self.any_keys = any_keys
        self.public_paths = public_paths
        self._keys_seen = False  # once keys exist (auto mode) the answer cannot go back

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.mode == "none":
            if scope["type"] == "http":
                scope.setdefault("state", {})["principal"] = ANONYMOUS
            await self.app(scope, receive, send)
            return
        path = route_path(scope)
        if path in self.public_paths:
            await self.app(scope, receive, send)
            return
        key = presented_key(scope)
        try:
            principal = await self._resolve(scope, key)
        except Exception:
            log.warning("key lookup failed", exc_info=True)
            await send_problem(send, scope, 503, "Service Unavailable",
                               "Credentials cannot be checked right now; retry shortly.",
                               slug="unavailable", headers={"retry-after": "1"})
            return
        if principal is None:
            from .metrics import AUTH_FAILURES

            AUTH_FAILURES.labels("missing" if key is None else "invalid").inc()
            challenge = f'Bearer realm="{REALM}"'
            if key is not None:
                challenge += ', error="invalid_token"'
            detail = ("This API needs a key: send `Authorization: Bearer <key>` or `X-API-Key: <key>`."
                      if key is None else "The API key is not valid or has been revoked.")
            await send_problem(send, scope, 401, "Unauthorized", detail, slug="unauthorized",
                               headers={"www-authenticate": challenge})
            return
        needed = required_scope(str(scope.get("method", "GET")), path)
        if not principal.allows(needed):
            from .metrics import AUTH_FAILURES

            AUTH_FAILURES.labels("scope").inc()
            await send_problem(
                send, scope, 403, "Forbidden", f"This key lacks the `{needed}` scope.", slug="forbidden",
                headers={"www-authenticate": f'Bearer realm="{REALM}", error="insufficient_scope", '
                                             f'scope="{needed}"'},
                required_scope=needed)
            return
        scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)

    async def _resolve(self, scope: Scope, key: str | None) -> Principal | None:
        if key is not None:
            # a key that is sent must be valid, even while the service is still open
            return await self.authenticate(scope, key)
        if self.mode == "keys" or await self._keys_exist(scope):
            return None
        return ANONYMOUS

    async def _keys_exist(self, scope: Scope) -> bool:
        if not self._keys_seen:
            self._keys_seen = await self.any_keys(scope)
        return self._keys_seen


def principal_of(scope: Scope) -> Principal | None:
    state: Any = scope.get("state")
    p = state.get("principal") if isinstance(state, dict) else None
    return p if isinstance(p, Principal) else None
