"""Alembic migrations of omniroute's database schema; run them with :mod:`flows.migrate`."""
