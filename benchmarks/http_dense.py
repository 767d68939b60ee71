"""HTTP route preview on the issue's dense network, against /healthz in the same run (issue 7).

Run:  .venv/bin/python -m benchmarks.http_dense [--seconds 10] [--connections 8] [--rounds 1]

The dense case of ``benchmarks/test_bench_matrix.py`` (``DENSE``): 500 locations, a 50-SKU
assortment held at about half of them, 5-line orders of 1-3 units, ``max_locations: 3``,
``line_split: true``, no distance fence. Its network, rules and stock are written to files
and served by a real ``omniroute serve`` (one worker, pinned to core 0) on a temporary SQLite
database (``OMNIROUTE_NETWORK``, ``OMNIROUTE_RULES``, ``OMNIROUTE_INVENTORY``; the periodic
inventory check and reconciliation are off so they do not land inside a 10 s run). Before any
load, the first 50 orders are posted once and their answers compared with the engine's on the
same data (same status and route costs), so the server is known to route the dense case.

Then, per round, wrk (one thread, pinned to core 1) drives ``GET /healthz`` and ``POST
/v1/routes/preview`` (500 dense orders round-robin, from a Lua script) for ``--seconds``
each at ``--connections``; it prints both rates, their ratio and wrk's latency percentiles.
Targets (issue 7): previews ≥ 0.5× the /healthz rate, p99 ≤ 10 ms at 8 connections.
Needs wrk (Debian package ``wrk``); traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import statistics
import sys
import tempfile
import urllib.request
from pathlib import Path

from benchmarks.http_load import lua_script, rss_mb, served, wrk
from benchmarks.test_bench_matrix import (
    DENSE,
    network_of,
    orders_of,
    rules_document,
    rules_for,
    stock_of,
)
from benchmarks.test_bench_preview import NOW
from engine.answer import PreviewAnswer
from engine.order import Order
from engine.preview import preview

N_ORDERS = 500
N_CHECKED = 50


def write_inputs(directory: Path) -> dict[str, str]:
    """The dense network, rules and stock as files; the environment that serves them."""
    network = network_of(DENSE.locations)
    stock = stock_of(DENSE.catalogue, DENSE.stock_share, DENSE.locations)
    paths = {name: directory / name for name in ("network.json", "rules.json", "stock.csv")}
    paths["network.json"].write_text(network.model_dump_json())
    paths["rules.json"].write_text(json.dumps(rules_document(DENSE.fence)))
    with paths["stock.csv"].open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["location_id", "sku", "on_hand", "safety_stock"])
        for sku, row in stock.rows.items():
            for col in stock.atf[row].nonzero()[0].tolist():
                writer.writerow([network.location_ids[col], sku, int(stock.atf[row, col]), 0])
    return {
        **os.environ,
        "OMNIROUTE_DATABASE_URL": f"sqlite:///{directory}/bench.db",
        "OMNIROUTE_NETWORK": str(paths["network.json"]),
        "OMNIROUTE_RULES": str(paths["rules.json"]),
        "OMNIROUTE_INVENTORY": str(paths["stock.csv"]),
        "OMNIROUTE_SAMPLE_DATA": "false",
        "OMNIROUTE_INVENTORY_CHECK_SECONDS": "0",
        "OMNIROUTE_RECONCILE_SECONDS": "0",
    }


def check_served(url: str, key: str, orders: list[Order]) -> None:
    """The server's answers to ``orders`` are the engine's on the same data."""
    network = network_of(DENSE.locations)
    stock = stock_of(DENSE.catalogue, DENSE.stock_share, DENSE.locations)
    rules = rules_for(DENSE.fence)
    for order in orders:
        request = urllib.request.Request(
            url + "/v1/routes/preview",
            data=order.model_dump_json().encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            served_answer = PreviewAnswer.model_validate_json(response.read())
        engine_answer = preview(
            order, network=network, rules=rules, rules_version="bench", stock=stock, now=NOW
        )
        got = (served_answer.status, [round(r.cost, 6) for r in served_answer.routes])
        want = (engine_answer.status, [round(r.cost, 6) for r in engine_answer.routes])
        if got != want:
            raise SystemExit(f"order {order.id}: served {got}, engine {want}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.http_dense")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=1, help="healthz + preview pairs")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--verbose", action="store_true", help="print wrk's own output")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (apt-get install wrk)")
    orders = orders_of(DENSE, N_ORDERS)
    with tempfile.TemporaryDirectory() as tmp:
        env = write_inputs(Path(tmp))
        script = Path(tmp, "preview.lua")
        with served(args.port, env) as (server, key):
            script.write_text(lua_script([o.model_dump_json() for o in orders], key))
            url = f"http://127.0.0.1:{args.port}"
            check_served(url, key, orders[:N_CHECKED])
            wrk(url, 2, 2, script, latency=False)  # warm-up
            ratios = []
            print(
                "| round | /healthz req/s | preview req/s | ratio | preview p50 / p90 / p99 ms "
                "| /healthz p50 / p99 ms | errors |"
            )
            print("|---:|---:|---:|---:|---|---|---:|")
            for number in range(1, args.rounds + 1):
                health_out, health = wrk(url + "/healthz", args.seconds, args.connections)
                preview_out, load = wrk(url, args.seconds, args.connections, script)
                if args.verbose:
                    print(health_out, preview_out, sep="\n")
                ratio = load["rate"] / health["rate"]
                ratios.append(ratio)
                print(
                    f"| {number} | {health['rate']:,.0f} | {load['rate']:,.0f} | {ratio:.2f}× "
                    f"| {load['p50_ms']:.2f} / {load['p90_ms']:.2f} / {load['p99_ms']:.2f} "
                    f"| {health['p50_ms']:.2f} / {health['p99_ms']:.2f} "
                    f"| {health['errors'] + load['errors']:.0f} |",
                    flush=True,
                )
            print(
                f"\n{args.connections} connections, {args.seconds} s each; median ratio "
                f"{statistics.median(ratios):.2f}× (target ≥ 0.5×, preview p99 ≤ 10 ms); "
                f"server RSS {rss_mb(server.pid):.0f} MB"
            )


if __name__ == "__main__":
    main()
