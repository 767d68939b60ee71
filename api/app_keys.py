"""API keys and the audit trail over HTTP (the ``admin`` scope)."""

from __future__ import annotations

from fastapi import APIRouter

from access.scopes import Scope
from api.auth import requires

router = APIRouter(dependencies=[requires(Scope.admin)])
