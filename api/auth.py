"""Who may call what: each operation declares its scope with :func:`requires`, which also
puts the scope into the OpenAPI document (``security: [{"apiKey": ["ops"]}]``), so ``/docs``
can be used with a key. The key itself is checked once per request, before any of this, by
:class:`api.access_middleware.AccessMiddleware`; here only its scopes are."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer, SecurityScopes

from access.audit import ANONYMOUS
from access.errors import Forbidden, Unauthenticated
from access.keys import ApiKey
from access.scopes import Scope

SCHEME = "apiKey"
BEARER = HTTPBearer(
    auto_error=False,
    scheme_name=SCHEME,
    bearerFormat="omr_…",
    description=(
        "An omniroute API key: `Authorization: Bearer <key>`. Each operation lists the scope "
        "(permission set) it needs: checkout, orders, store, agent, ops or admin."
    ),
)
PUBLIC: dict[str, Any] = {"security": []}  # openapi_extra of the few operations without a key

# Where the middleware and the scope check meet, in the request's ``state``.
PRINCIPAL = "principal"  # the ApiKey the middleware authenticated (absent with auth off)
AUTH_OFF = "auth_off"  # True when OMNIROUTE_AUTH=off
AUDIT = "audit"  # the action to record once the answer is known
ACTOR = "actor"  # who, when not a key (a signed webhook)

_READS = frozenset({"GET", "HEAD", "OPTIONS"})


def requires(scope: Scope) -> Any:
    """A dependency: the request's key must hold ``scope``; it gives the key (None with
    auth off). Use it in ``dependencies=[...]`` or as an annotated parameter."""
    return Security(_authorize, scopes=[scope.value])


async def _authorize(
    request: Request,
    security_scopes: SecurityScopes,
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)],
) -> ApiKey | None:
    # async: a plain def dependency would cost every request a hop to the thread pool.
    return check_scope(request, *(Scope(name) for name in security_scopes.scopes))


def check_scope(request: Request, *scopes: Scope) -> ApiKey | None:
    """The key of ``request`` if it holds one of ``scopes``; Forbidden naming them if not.
    Marks writes for the audit trail first, so refused attempts are recorded too."""
    state = request.scope.setdefault("state", {})
    if _is_write(request, scopes):
        _mark_audited(request)
    if state.get(AUTH_OFF):
        return None
    key: ApiKey | None = state.get(PRINCIPAL)
    if key is None:  # only if the middleware is missing: never let such a request through
        raise Unauthenticated("missing API key: send the header 'Authorization: Bearer <key>'")
    if not any(key.allows(scope) for scope in scopes):
        raise Forbidden(key.name, tuple(scope.value for scope in scopes))
    return key


def visible_locations(key: ApiKey | None) -> frozenset[str] | None:
    """The locations a key's store work covers: None for every one (auth off, or a key
    without a list)."""
    return None if key is None else key.locations


def _is_write(request: Request, scopes: tuple[Scope, ...]) -> bool:
    """Writes are audited, but for checkout's (reservations are in the inventory record, and
    recording each would put a database write on the checkout path) and the previews of
    service actions, which change nothing."""
    if request.method in _READS or Scope.checkout in scopes:
        return False
    return not request.url.path.endswith("/preview")


def actor_of(request: Request) -> str:
    """Who makes this request, as the audit trail and the config history name them: the
    key's name (``anonymous`` with auth off)."""
    state = request.scope.get("state", {})
    key: ApiKey | None = state.get(PRINCIPAL)
    return key.name if key is not None else str(state.get(ACTOR, ANONYMOUS))


def audited_as(actor: str) -> Any:
    """A dependency for the operations without a key (signed webhooks): their writes are
    recorded as done by ``actor``."""

    async def mark(request: Request) -> None:
        _mark_audited(request)[ACTOR] = actor

    return Depends(mark)


def _mark_audited(request: Request) -> dict[str, Any]:
    """Ask the middleware to record this request once answered, as its operation's name;
    the request's state."""
    state: dict[str, Any] = request.scope.setdefault("state", {})
    route = request.scope.get("route")
    state[AUDIT] = getattr(route, "name", None) or request.url.path
    return state
