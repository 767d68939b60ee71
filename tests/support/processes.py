"""Real processes for tests: a private ``redis-server`` and an ``omniroute serve``.

Both bind to a free port on 127.0.0.1, write their output to a log file in a directory of their
own, and are stopped at interpreter exit if a test forgot to. :class:`PrivateRedis` never uses
the machine's shared Redis port (6379); :class:`ServeProcess` does not inherit ``OMNIROUTE_*``
settings from the calling shell unless asked to, so a test cannot reach a shared service by
accident.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
import weakref
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any, Self

from access.scopes import Scope

if TYPE_CHECKING:
    import httpx

LOOPBACK = "127.0.0.1"
SHARED_REDIS_PORT = 6379
STOP_GRACE_SECONDS = 10.0
LOG_TAIL_CHARS = 4000
ALL_SCOPES = ",".join(scope.value for scope in Scope)


class ProcessError(RuntimeError):
    """A test process did not start, or died; the message ends with its log's tail."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (never the shared Redis
    port). Another process may still take it before we bind it: callers retry on a clash."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((LOOPBACK, 0))
            port = int(sock.getsockname()[1])
        if port != SHARED_REDIS_PORT:
            return port


def _port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((LOOPBACK, port)) == 0


def _tail(path: Path, chars: int = LOG_TAIL_CHARS) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log)"
    return text[-chars:] if text else "(empty log)"


_ADDRESS_IN_USE = ("address already in use", "errno 98", "eaddrinuse")


def _clashed(log: str) -> bool:
    lowered = log.lower()
    return any(marker in lowered for marker in _ADDRESS_IN_USE)


# Processes still running at interpreter exit (a test that never reached its teardown).
_LIVE: weakref.WeakSet[_ManagedProcess] = weakref.WeakSet()


@atexit.register
def _stop_leftovers() -> None:
    for managed in list(_LIVE):
        with contextlib.suppress(Exception):
            managed.stop()


class _ManagedProcess:
    """A subprocess with a log file in a directory of its own (made here unless given)."""

    name = "process"

    def __init__(self, directory: Path | None) -> None:
        self._owns_directory = directory is None
        self.directory = (
            Path(tempfile.mkdtemp(prefix=f"omniroute-{self.name}-"))
            if directory is None
            else directory
        )
        self.directory.mkdir(parents=True, exist_ok=True)
        self.log_path = self.directory / f"{self.name}.log"
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self.running and self._process else None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def _spawn(self, argv: Sequence[str], *, env: Mapping[str, str], **popen: Any) -> None:
        self._log = self.log_path.open("ab")
        self._process = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=dict(env),
            cwd=self.directory,
            **popen,
        )
        _LIVE.add(self)

    def _fail(self, message: str) -> ProcessError:
        return ProcessError(f"{message}\n--- {self.log_path} (tail) ---\n{_tail(self.log_path)}")

    def _terminate(self, graceful: bool = True) -> int | None:
        """SIGTERM (if ``graceful``), wait up to the grace period, then SIGKILL. The exit status,
        or None when nothing was running."""
        process = self._process
        if process is None:
            return None
        try:
            if process.poll() is None and graceful:
                process.send_signal(signal.SIGTERM)
            try:
                return process.wait(timeout=STOP_GRACE_SECONDS if graceful else 0.01)
            except subprocess.TimeoutExpired:
                self._kill(process)
                return process.wait(timeout=STOP_GRACE_SECONDS)
        finally:
            self._process = None
            _LIVE.discard(self)
            if self._log is not None:
                self._log.close()
                self._log = None

    def _kill(self, process: subprocess.Popen[bytes]) -> None:
        process.kill()

    def stop(self) -> int | None:
        return self._terminate()

    def close(self) -> None:
        """Stop the process and delete the directory made for it (a given one is kept)."""
        self.stop()
        if self._owns_directory:
            shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class PrivateRedis(_ManagedProcess):
    """A ``redis-server`` of our own on a free loopback port: no persistence, empty at start.

    >>> with PrivateRedis() as server:
    ...     server.start()
    ...     client = server.client()  # or redis.Redis.from_url(server.url)
    """

    name = "redis"

    def __init__(
        self,
        directory: Path | None = None,
        *,
        binary: str = "redis-server",
        start_timeout: float = 10.0,
    ) -> None:
        found = shutil.which(binary)
        if found is None:
            raise FileNotFoundError(f"{binary!r} is not on PATH")
        super().__init__(directory)
        self.binary = found
        self.start_timeout = start_timeout
        self.port: int | None = None

    @property
    def url(self) -> str:
        if self.port is None:
            raise ProcessError("PrivateRedis has not been started")
        return f"redis://{LOOPBACK}:{self.port}/0"

    def client(self, **options: Any) -> Any:
        """A ``redis.Redis`` client for this server (the caller closes it)."""
        import redis

        options.setdefault("socket_connect_timeout", 2)
        options.setdefault("socket_timeout", 5)
        return redis.Redis.from_url(self.url, **options)

    def start(self) -> Self:
        """Start the server: on a free port the first time, on the same port afterwards
        (empty either way). Returns once it answers PING."""
        if self.running:
            return self
        if self.port is not None:
            self._start_on(self.port)
            return self
        attempts = 3
        for attempt in range(attempts):
            port = free_port()
            try:
                self._start_on(port)
            except ProcessError as exc:
                if attempt + 1 < attempts and _clashed(str(exc)):
                    continue  # someone took the port between our check and redis's bind
                raise
            self.port = port
            return self
        raise AssertionError("unreachable")

    def _start_on(self, port: int) -> None:
        if port == SHARED_REDIS_PORT:
            raise ProcessError(f"refusing to start a private Redis on the shared port {port}")
        data = self.directory / "data"
        data.mkdir(exist_ok=True)
        argv = [
            self.binary,
            "--port", str(port),
            "--bind", LOOPBACK,
            "--save", "",
            "--appendonly", "no",
            "--dir", str(data),
            "--daemonize", "no",
            "--protected-mode", "yes",
            "--logfile", "",
        ]  # fmt: skip
        self._spawn(argv, env=os.environ)
        deadline = time.monotonic() + self.start_timeout
        while True:
            code = self._process.poll() if self._process else None
            if code is not None:
                self._terminate(graceful=False)
                raise self._fail(f"redis-server on port {port} exited with status {code}")
            if self._ping(port):
                return
            if time.monotonic() > deadline:
                self._terminate()
                raise self._fail(
                    f"redis-server on port {port} did not answer PING in {self.start_timeout}s"
                )
            time.sleep(0.02)

    @staticmethod
    def _command(port: int, *words: str, timeout: float = 2.0) -> bytes:
        """Send one command over a raw socket and read until the reply or EOF. (No client
        library: redis-py retries a dropped connection with back-off, which makes SHUTDOWN
        and a PING before the server listens take seconds.)"""
        parts = [f"*{len(words)}\r\n".encode()]
        for word in words:
            data = word.encode()
            parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
        with socket.create_connection((LOOPBACK, port), timeout=timeout) as sock:
            sock.sendall(b"".join(parts))
            reply = b""
            while not reply.endswith(b"\r\n"):
                chunk = sock.recv(4096)
                if not chunk:
                    break
                reply += chunk
        return reply

    def _ping(self, port: int) -> bool:
        try:
            return self._command(port, "PING", timeout=0.5).startswith(b"+PONG")
        except OSError:
            return False

    def flush(self) -> None:
        """FLUSHALL: every database of this server emptied."""
        client = self.client()
        try:
            client.flushall()
        finally:
            client.close()

    def stop(self) -> int | None:
        """SHUTDOWN NOSAVE (SIGTERM, then SIGKILL, if it does not exit) and wait for the exit."""
        if self.running and self.port is not None:
            with contextlib.suppress(OSError):  # no reply: the server just closes
                self._command(self.port, "SHUTDOWN", "NOSAVE")
            if self._process is not None:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self._process.wait(timeout=5)
        return self._terminate()

    def restart_empty(self) -> Self:
        """Stop and start again on the same port, with no data (as after a crash with no
        persistence)."""
        self.stop()
        if self.port is not None:
            deadline = time.monotonic() + 5
            while _port_in_use(self.port) and time.monotonic() < deadline:
                time.sleep(0.02)
        return self.start()


class ServeProcess(_ManagedProcess):
    """``omniroute serve`` on a free loopback port, as a real subprocess.

    ``env`` is laid over ``os.environ``; ``OMNIROUTE_*`` variables of the calling shell are
    dropped first (``inherit_settings=True`` keeps them), so only ``env`` configures the
    server. The working directory is the process's own directory, so the default
    ``sqlite:///./omniroute.db`` lands there too.
    """

    name = "serve"

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        extra_args: Sequence[str] = (),
        directory: Path | None = None,
        *,
        inherit_settings: bool = False,
    ) -> None:
        super().__init__(directory)
        self.env = dict(env or {})
        self.extra_args = list(extra_args)
        self.inherit_settings = inherit_settings
        self.port: int | None = None
        self._key: str | None = None

    @property
    def url(self) -> str:
        if self.port is None:
            raise ProcessError("ServeProcess has not been started")
        return f"http://{LOOPBACK}:{self.port}"

    def key(self) -> str:
        """An API key with every scope, made once on the server's database with
        ``omniroute keys create`` (as an operator would) and kept across restarts."""
        if self._key is None:
            name = f"tests-{uuid.uuid4().hex[:8]}"
            argv = [*self.command(), "keys", "create", "--name", name, "--scopes", ALL_SCOPES]
            done = subprocess.run(
                argv, env=self.full_env(), cwd=self.directory, capture_output=True, text=True
            )
            if done.returncode != 0:
                raise ProcessError(f"omniroute keys create failed: {done.stderr.strip()}")
            self._key = done.stdout.strip().splitlines()[-1]
        return self._key

    def client(self, timeout: float = 10.0) -> httpx.Client:
        """An HTTP client of the server sending :meth:`key`."""
        import httpx

        headers = {"Authorization": f"Bearer {self.key()}"}
        return httpx.Client(base_url=self.url, headers=headers, timeout=timeout)

    @staticmethod
    def command() -> list[str]:
        """The venv's ``omniroute`` script, or ``python -m api.cli`` when it is missing."""
        script = Path(sys.executable).parent / "omniroute"
        if script.is_file() and os.access(script, os.X_OK):
            return [str(script)]
        return [sys.executable, "-m", "api.cli"]

    def full_env(self) -> dict[str, str]:
        base = dict(os.environ)
        if not self.inherit_settings:
            base = {
                key: value
                for key, value in base.items()
                if not key.startswith("OMNIROUTE_") or key.startswith("OMNIROUTE_TEST_")
            }
        base.update(self.env)
        if Path(self.command()[0]) == Path(sys.executable):  # python -m api.cli: find the repo
            root = str(Path(__file__).resolve().parents[2])
            base["PYTHONPATH"] = os.pathsep.join(filter(None, [root, base.get("PYTHONPATH")]))
        return base

    def start(self, timeout: float = 60.0) -> Self:
        """Start the server and return once ``GET /healthz`` answers 200; raise
        :class:`ProcessError` with the log's tail if it exits or ``timeout`` passes."""
        if self.running:
            return self
        attempts = 3
        for attempt in range(attempts):
            port = free_port()
            try:
                self._start_on(port, timeout)
            except ProcessError as exc:
                if attempt + 1 < attempts and _clashed(str(exc)):
                    continue
                raise
            return self
        raise AssertionError("unreachable")

    def _start_on(self, port: int, timeout: float) -> None:
        import httpx

        argv = [*self.command(), "serve", "--host", LOOPBACK, "--port", str(port)]
        argv += self.extra_args
        # A session of its own, so a forced kill also reaches uvicorn's worker processes.
        self._spawn(argv, env=self.full_env(), start_new_session=True)
        self.port = port
        deadline = time.monotonic() + timeout
        last_error = "no answer yet"
        with httpx.Client(timeout=2.0) as http:
            while True:
                code = self._process.poll() if self._process else None
                if code is not None:
                    self._terminate(graceful=False)
                    raise self._fail(f"omniroute serve exited with status {code}")
                try:
                    response = http.get(f"{self.url}/healthz")
                except httpx.HTTPError as exc:
                    last_error = f"{exc.__class__.__name__}: {exc}"
                else:
                    if response.status_code == 200:
                        return
                    last_error = f"/healthz answered {response.status_code}: {response.text}"
                if time.monotonic() > deadline:
                    self._terminate()
                    raise self._fail(
                        f"omniroute serve did not become healthy in {timeout}s ({last_error})"
                    )
                time.sleep(0.1)

    def _kill(self, process: subprocess.Popen[bytes]) -> None:
        try:
            os.killpg(process.pid, signal.SIGKILL)  # its own session: pgid == its pid
        except OSError:
            process.kill()

    def stop(self) -> int | None:
        """SIGTERM, wait (SIGKILL to its process group after 10 s); the exit status, or None
        when it was not running."""
        return self._terminate()
