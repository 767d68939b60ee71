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
from pathlib import Path

from flows.sample import sample_network, sample_orders

ROOT = Path(__file__).resolve().parents[1]


def lua_script(bodies: list[str]) -> str:
    quoted = ",\n".join(json.dumps(b) for b in bodies)
    return (
        "local bodies = {\n" + quoted + "\n}\n"
        "local i = 0\n"
        'wrk.method = "POST"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (apt-get install wrk)")
    orders = sample_orders(sample_network(), n=500, seed=3)
    bodies = [o.model_dump_json() for o in orders]
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp, "preview.lua")
        script.write_text(lua_script(bodies))
        env = {**os.environ, "OMNIROUTE_DATABASE_URL": f"sqlite:///{tmp}/bench.db"}
        omniroute = str(Path(sys.executable).with_name("omniroute"))
        server = subprocess.Popen(
            ["taskset", "-c", "0", omniroute, "serve", "--port", str(args.port)], env=env
        )
        try:
            url = f"http://127.0.0.1:{args.port}"
            wait_healthy(url)
            subprocess.run(  # warm-up
                ["taskset", "-c", "1", "wrk", "-t1", "-c2", "-d2s", "-s", str(script), url],
                capture_output=True,
                check=True,
            )
            done = subprocess.run(
                [
                    "taskset",
                    "-c",
                    "1",
                    "wrk",
                    "-t1",
                    f"-c{args.connections}",
                    f"-d{args.seconds}s",
                    "--latency",
                    "-s",
                    str(script),
                    url,
                ],
                capture_output=True,
                text=True,
                check=True,
            )
            print(done.stdout)
            rate = re.search(r"Requests/sec:\s+([\d.]+)", done.stdout)
            p99 = re.search(r"99%\s+([\d.]+\w+)", done.stdout)
            print(
                f"requests/s={rate.group(1) if rate else '?'} p99={p99.group(1) if p99 else '?'}"
                f" server_rss_mb={rss_mb(server.pid):.0f}"
            )
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
