"""Alembic revisions, one file each, named ``<revision id>.py`` (see :mod:`flows.migrate`)."""
