"""``omniroute orders``: import a JSON Lines file through the intake, show an Order Summary."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from api.cli import app
from flows import order_queries as queries
from flows.bootstrap import Services, bootstrap
from flows.order_store import NotFound
from flows.settings import Settings
from tests.e2e.conftest import small_env

ROOT = Path(__file__).resolve().parents[2]
NEWARK = {"country": "US", "postal_code": "07102", "lat": 40.73, "lon": -74.17}


def order(number: str, *, sku: str = "SKU-1", quantity: int = 1, **extra: Any) -> dict[str, Any]:
    """A managed ship-to-Newark order of one line, priced 10.00 a unit, fully authorized."""
    return {
        "order_number": number,
        "currency": "USD",
        "placed_at": "2026-11-30T10:00:00Z",
        "delivery_groups": [{"id": "DG1", "method": "ship", "address": NEWARK}],
        "lines": [
            {
                "id": "1",
                "sku": sku,
                "quantity": quantity,
                "unit_price": 1000,
                "delivery_group": "DG1",
            }
        ],
        "payment": {"authorization_id": f"A-{number}", "amount": 1000 * quantity},
        **extra,
    }


def design_order(number: str) -> dict[str, Any]:
    """DESIGN.md's intake example, on tests/e2e/data's network: grand total 91.25 USD."""
    return {
        "order_number": number,
        "currency": "USD",
        "placed_at": "2026-11-30T10:00:00Z",
        "delivery_groups": [
            {"id": "DG1", "method": "ship", "address": NEWARK, "charge": 599, "charge_tax": 48},
            {"id": "DG2", "method": "pickup", "location_id": "ST01"},
        ],
        "lines": [
            {"id": "1", "sku": "SKU-1", "quantity": 2, "unit_price": 1999, "tax": 320,
             "discount": 200, "delivery_group": "DG1"},
            {"id": "2", "sku": "SKU-2", "quantity": 1, "unit_price": 4500, "tax": 360,
             "delivery_group": "DG2"},
        ],
        "discounts": [{"code": "WELCOME5", "amount": 500}],
        "payment": {"authorization_id": "AUTH-88", "amount": 9125},
    }  # fmt: skip


def jsonl(*lines: dict[str, Any] | str) -> str:
    """A file's text: documents as compact JSON, strings as they are (bad lines, blanks)."""
    return "".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """tests/e2e/data's network, rules and stock over a fresh SQLite file."""
    return small_env(f"sqlite:///{tmp_path / 'omniroute.db'}")


def invoke(env: dict[str, str], *args: str) -> Result:
    # Every OMNIROUTE_ setting not in ``env`` is unset: the calling shell cannot leak in.
    full: dict[str, str | None] = {k: None for k in os.environ if k.startswith("OMNIROUTE_")}
    full.update(env)
    return CliRunner().invoke(app, ["orders", *args], env=full)


def import_text(env: dict[str, str], tmp_path: Path, text: str) -> Result:
    path = tmp_path / "orders.jsonl"
    path.write_text(text)
    return invoke(env, "import", str(path))


Start = Callable[[], Services]


@pytest.fixture
def services_of(env: dict[str, str]) -> Iterator[Start]:
    """A second start over the same database: what the import left behind, read back."""
    started: list[Services] = []

    def start() -> Services:
        services = bootstrap(Settings.from_env(env), build_cache=False, seed_inventory=False)
        started.append(services)
        return services

    yield start
    for services in started:
        services.close()


def one_error_line(result: Result) -> str:
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def row(output: str, *first: str) -> list[str]:
    """The words of the one table row that starts with ``first``."""
    rows = [line.split() for line in output.splitlines()]
    found = [words for words in rows if words[: len(first)] == list(first)]
    assert len(found) == 1, f"{first} in:\n{output}"
    return found[0]


# -- import -------------------------------------------------------------------------------


def test_import_records_good_lines_and_names_each_rejected_line_with_its_reason(
    env: dict[str, str], tmp_path: Path, services_of: Start
) -> None:
    text = jsonl(
        order("W-1", quantity=2),
        order("W-1", quantity=2),  # the same order again: already there
        order("W-3", sku="SKU-404"),
        '{"order_number": "W-4", "currency": ',
        order("W-1", quantity=3),  # another body under W-1
        "",
        order("W-2", sku="SKU-2"),  # after the bad lines: they never stop good ones
    )
    result = import_text(env, tmp_path, text)

    assert result.exit_code == 1, result.output
    report = result.stdout.splitlines()
    assert report[0] == "imported 2, already there 1, rejected 3"
    assert report[1] == "line 3: lines[0].sku: unknown SKU 'SKU-404'"
    assert report[2].startswith("line 4: not valid JSON: "), report[2]
    assert report[3] == "line 5: order_number: 'W-1' was already placed with a different body"
    assert len(report) == 4

    services = services_of()
    first = queries.order_summary(services, "W-1")
    assert [i["quantity_ordered"] for i in first["items"]] == [2]  # line 5 changed nothing
    assert [i["quantity_allocated"] for i in first["items"]] == [2]  # routed, as the API does
    assert queries.original_order(services, "W-1") == text.splitlines()[0]  # the line, exactly
    assert queries.order_summary(services, "W-2")["items"][0]["sku"] == "SKU-2"
    for rejected in ("W-3", "W-4"):
        with pytest.raises(NotFound):
            queries.order_summary(services, rejected)


def test_importing_the_same_file_again_reports_every_order_as_already_there(
    env: dict[str, str], tmp_path: Path, services_of: Start
) -> None:
    text = jsonl(order("W-1"), order("W-2", sku="SKU-2", quantity=2))
    first = import_text(env, tmp_path, text)
    assert first.exit_code == 0, first.output
    assert first.stdout == "imported 2, already there 0, rejected 0\n"
    fos = queries.order_summary(services_of(), "W-2")["fulfillment_orders"]

    again = import_text(env, tmp_path, text)

    assert again.exit_code == 0, again.output
    assert again.stdout == "imported 0, already there 2, rejected 0\n"
    assert queries.order_summary(services_of(), "W-2")["fulfillment_orders"] == fos  # not rerouted


def test_import_counts_physical_lines_and_reads_crlf_a_byte_order_mark_and_blank_lines(
    env: dict[str, str], tmp_path: Path
) -> None:
    path = tmp_path / "windows.jsonl"
    good = [json.dumps(order(number)).encode() for number in ("W-1", "W-2")]
    lines = [good[0], b"   ", b'{"x": "\xff"}', good[1]]
    path.write_bytes(b"\xef\xbb\xbf" + b"\r\n".join(lines))  # no final line break either

    result = invoke(env, "import", str(path))

    assert result.exit_code == 1, result.output
    assert result.stdout.splitlines() == [
        "imported 2, already there 0, rejected 1",
        "line 3: not UTF-8 text (byte 8)",
    ]


@pytest.mark.postgres
def test_a_line_the_database_refuses_is_rejected_and_the_others_are_imported(
    postgres_schema_url: str, tmp_path: Path
) -> None:
    env = small_env(postgres_schema_url)
    text = jsonl(order("W-1"), order("W-2", channel="c" * 100), order("W-3"))

    result = import_text(env, tmp_path, text)

    assert result.exit_code == 1, result.output
    report = result.stdout.splitlines()
    assert report[0] == "imported 2, already there 0, rejected 1"
    assert report[1].startswith("line 2: "), report
    assert "Traceback" not in result.output


def test_import_of_a_file_that_cannot_be_read_exits_2_with_one_line(
    env: dict[str, str], tmp_path: Path
) -> None:
    message = one_error_line(invoke(env, "import", str(tmp_path / "absent.jsonl")))
    assert "absent.jsonl" in message and "cannot read" in message, message


def test_import_help_states_the_exit_statuses(env: dict[str, str]) -> None:
    result = invoke(env, "import", "--help")
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    assert "0 when no line was rejected, 1 when some lines were rejected" in text
    assert "2 when the file cannot be read" in text


def test_the_installed_command_exits_1_when_lines_were_rejected(tmp_path: Path) -> None:
    path = tmp_path / "orders.jsonl"
    path.write_text(jsonl(order("W-1"), order("W-2", sku="NOPE")))
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OMNIROUTE_")}
    command = [sys.executable, "-m", "api.cli", "orders", "import", str(path)]
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**clean, **small_env(f"sqlite:///{tmp_path / 'omniroute.db'}")},
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert done.stdout.splitlines() == [
        "imported 1, already there 0, rejected 1",
        "line 2: lines[0].sku: unknown SKU 'NOPE'",
    ]
    assert "Traceback" not in done.stderr


# -- show ---------------------------------------------------------------------------------


def test_show_prints_header_items_with_quantities_totals_payment_and_fulfillment_orders(
    env: dict[str, str], tmp_path: Path, services_of: Start
) -> None:
    assert import_text(env, tmp_path, jsonl(design_order("W-1001"))).exit_code == 0
    summary = queries.order_summary(services_of(), "W-1001")

    result = invoke(env, "show", "W-1001")

    assert result.exit_code == 0, result.output
    out = result.stdout
    assert f"Order W-1001  ({summary['id']})" in out
    assert row(out, "lifecycle") == ["lifecycle", "managed", "status", "allocated"]
    assert row(out, "currency")[:2] == ["currency", "USD"]
    assert "2026-11-30 10:00:00 UTC" in out
    # line, sku, group, status, ordered, canceled, allocated, fulfilled, returned, to fulfill
    assert row(out, "1", "SKU-1") == [
        "1",
        "SKU-1",
        "DG1",
        "allocated",
        "2",
        "0",
        "2",
        "0",
        "0",
        "0",
    ]
    assert row(out, "2", "SKU-2") == [
        "2",
        "SKU-2",
        "DG2",
        "allocated",
        "1",
        "0",
        "1",
        "0",
        "0",
        "0",
    ]
    assert row(out, "product") == ["product", "84.98", "USD"]
    assert row(out, "discount") == ["discount", "-7.00", "USD"]
    assert row(out, "grand", "total") == ["grand", "total", "91.25", "USD"]
    assert row(out, "balance", "due") == ["balance", "due", "91.25", "USD"]
    assert row(out, "captured") == ["captured", "0.00", "USD"]
    fos = {fo["delivery_group"]: fo for fo in summary["fulfillment_orders"]}
    assert set(fos) == {"DG1", "DG2"}
    ship, pickup = fos["DG1"], fos["DG2"]
    assert row(out, ship["id"]) == [
        ship["id"], "DG1", ship["location_id"], "ship", "Allocated", "1:", "SKU-1", "x", "2"
    ]  # fmt: skip
    assert row(out, pickup["id"]) == [
        pickup["id"], "DG2", "ST01", "pickup", "Allocated", "2:", "SKU-2", "x", "1"
    ]  # fmt: skip
    assert "Active process exceptions: none" in out


@pytest.mark.parametrize("key", ["order_number", "id", "external_id"])
def test_show_finds_the_summary_by_order_number_summary_id_or_source_id(
    env: dict[str, str], tmp_path: Path, services_of: Start, key: str
) -> None:
    shopify = order("#1071", source="shopify", external_id="820982911946154508")
    assert import_text(env, tmp_path, jsonl(shopify)).exit_code == 0
    summary = queries.order_summary(services_of(), "#1071")

    result = invoke(env, "show", str(summary[key]))

    assert result.exit_code == 0, result.output
    assert f"Order #1071  ({summary['id']})" in result.stdout
    assert row(result.stdout, "channel")[2:] == ["source", "shopify", "(id", "820982911946154508)"]


def test_show_lists_active_process_exceptions(
    env: dict[str, str], tmp_path: Path, services_of: Start
) -> None:
    # More SKU-2 than the whole network holds: routed in part, the rest raised to a person.
    assert import_text(env, tmp_path, jsonl(order("W-9", sku="SKU-2", quantity=500))).exit_code == 0
    (pe,) = queries.process_exceptions(
        services_of(), status=None, category=None, summary_key="W-9", cursor=None, limit=10
    )["items"]

    result = invoke(env, "show", "W-9")

    assert result.exit_code == 0, result.output
    assert "Active process exceptions" in result.stdout
    words = row(result.stdout, pe["id"])
    assert words[1:5] == ["routing", pe["severity"], pe["priority"], "new"]
    assert " ".join(words[5:]) == pe["message"]
    assert "could not be routed" in pe["message"]


def test_show_of_an_unknown_number_exits_2_with_one_line_on_stderr(env: dict[str, str]) -> None:
    message = one_error_line(invoke(env, "show", "W-404"))
    assert "W-404" in message, message
