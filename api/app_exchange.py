"""Service action endpoints: exchange (see flows/service_exchange.py)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
