"""Service action endpoints: returns (see flows/service_returns.py)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
