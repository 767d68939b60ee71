"""HTTP preview throughput: start `omniroute serve` on the sample network and drive it with wrk.

Run:  .venv/bin/python benchmarks/http_load.py [--seconds 15] [--connections 8]

The server is pinned to core 0 and wrk to core 1 (taskset), so one worker gets one core. The
requests rotate over 500 seeded sample orders. Prints requests/s, the latency percentiles that
wrk reports and the server's resident memory. Needs wrk (Debian package `wrk`); traffic goes to
127.0.0.1 only and the run is bounded by --seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def lua_script(bodies: list[str], key: str) -> str:
    quoted = ",\n".join(json.dumps(b) for b in bodies)
    return (
        "local bodies = {\n" + quoted + "\n}\n"
        "local i = 0\n"
        'wrk.method = "POST"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        f'wrk.headers["Authorization"] = "Bearer {key}"\n'
        "request = function()\n"
        "  i = i % #bodies + 1\n"
        '  return wrk.format(nil, "/v1/routes/preview", nil, bodies[i])\n'
        "end\n"
    )


def wait_healthy(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("server did not become healthy")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@contextmanager
def served(port: int, env: dict[str, str]) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """`omniroute serve` (one worker) pinned to core 0 with ``env``, healthy, stopped after;
    with the API key its first start made (on SQLite without Redis), or a new one. The rate
    limit is set out of reach: the limiter runs, as it does for users, but never refuses."""
    omniroute = str(Path(sys.executable).with_name("omniroute"))
    with tempfile.TemporaryDirectory() as keys:
        key_file = Path(keys, "admin.key")
        env = {**env, "OMNIROUTE_ADMIN_KEY_FILE": str(key_file), "OMNIROUTE_RATE_LIMIT": "1e6"}
        server = subprocess.Popen(
            ["taskset", "-c", "0", omniroute, "serve", "--port", str(port)], env=env
        )
        try:
            wait_healthy(f"http://127.0.0.1:{port}")
            yield server, key_file.read_text().strip() if key_file.is_file() else new_key(env)
        finally:
            server.terminate()
            server.wait(timeout=10)


def new_key(env: dict[str, str]) -> str:
    """A checkout key made with ``omniroute keys create`` (no first-start key with Redis)."""
    omniroute = str(Path(sys.executable).with_name("omniroute"))
    name = f"bench-{os.getpid()}-{time.monotonic_ns()}"
    argv = [omniroute, "keys", "create", "--name", name, "--scopes", "checkout"]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip().splitlines()[-1]


_UNIT_MS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def wrk(
    url: str, seconds: int, connections: int, script: Path | None = None, latency: bool = True
) -> tuple[str, dict[str, float]]:
    """One wrk run from core 1 (one thread); its output and what it reports: ``rate``
    (requests/s), ``p50_ms`` … ``p99_ms`` (with ``latency``), ``requests`` and ``errors``
    (socket errors plus non-2xx/3xx answers)."""
    command = ["taskset", "-c", "1", "wrk", "-t1", f"-c{connections}", f"-d{seconds}s"]
    if latency:
        command.append("--latency")
    if script is not None:
        command += ["-s", str(script)]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    figures: dict[str, float] = {"errors": 0.0}
    if rate := re.search(r"Requests/sec:\s+([\d.]+)", out):
        figures["rate"] = float(rate.group(1))
    if total := re.search(r"(\d+) requests in", out):
        figures["requests"] = float(total.group(1))
    for pct, value, unit in re.findall(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s)\s*$", out, re.M):
        figures[f"p{pct}_ms"] = float(value) * _UNIT_MS[unit]
    for errors in re.findall(r"Socket errors:.*|Non-2xx or 3xx responses: \d+", out):
        figures["errors"] += sum(int(n) for n in re.findall(r"\d+", errors))
    return out, figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (apt-get install wrk)")
    from flows.sample import sample_network, sample_orders  # here: the helpers need no flows

    orders = sample_orders(sample_network(), n=500, seed=3)
    bodies = [o.model_dump_json() for o in orders]
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp, "preview.lua")
        env = {**os.environ, "OMNIROUTE_DATABASE_URL": f"sqlite:///{tmp}/bench.db"}
        with served(args.port, env) as (server, key):
            script.write_text(lua_script(bodies, key))
            url = f"http://127.0.0.1:{args.port}"
            wrk(url, 2, 2, script, latency=False)  # warm-up
            out, figures = wrk(url, args.seconds, args.connections, script)
            print(out)
            print(
                f"requests/s={figures.get('rate', '?')} p99={figures.get('p99_ms', '?')}ms"
                f" server_rss_mb={rss_mb(server.pid):.0f}"
            )


if __name__ == "__main__":
    main()
