"""Test support: real processes (a private Redis, ``omniroute serve``) and their fixtures."""

from tests.support.processes import PrivateRedis, ProcessError, ServeProcess, free_port

__all__ = ["PrivateRedis", "ProcessError", "ServeProcess", "free_port"]
