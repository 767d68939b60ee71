"""Reading a wave's input files.

The network, rules and inventory go through the preview's loaders (a bad file is one error
that names it). The orders are JSON Lines, one preview order (DESIGN.md) per line, read as
``omniroute orders import`` reads its file: bytes, line by line, so that a line that is not
UTF-8, not JSON, not a valid order, names a pickup store or delivery method the network does
not know, or repeats an order id already read is set aside with its number and never stops
the others. An unknown SKU is no error: the wave simply has none of it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from engine.delivery import resolve_method
from engine.errors import PreviewInputError, UnknownLocation
from engine.network import Network
from engine.order import Order
from flows.documents import network_from_document, order_from_document, read_document
from flows.errors import FlowError, InvalidDocument
from flows.json_lines import decode_line, line_body
from inventory.memory import MemoryInventory
from inventory.records import read_records_file
from rules.loader import LoadedRules, NetworkRefs, load_rules


class UnreadableFile(FlowError):
    """An input file that cannot be opened."""


@dataclass(frozen=True, slots=True)
class WaveSetup:
    """What a wave is routed over: the network, the rules, the stock (in memory)."""

    network: Network
    rules: LoadedRules
    stock: MemoryInventory


def read_setup(network: Path, inventory: Path, rules: Path) -> WaveSetup:
    """The network (JSON or YAML), the rules checked against it, and the inventory (CSV or
    JSON), as ``omniroute preview`` reads them."""
    net = network_from_document(read_document(network))
    loaded = load_rules(rules, known=NetworkRefs.from_network(net))
    stock = MemoryInventory()
    stock.upsert(read_records_file(inventory))
    return WaveSetup(net, loaded, stock)


@dataclass
class WaveOrders:
    """The orders read, in file order, and the lines set aside: ``(line number, why)``."""

    orders: list[Order] = field(default_factory=list)
    rejected: list[tuple[int, str]] = field(default_factory=list)


@contextmanager
def open_orders(path: Path) -> Iterator[BinaryIO]:
    """The orders file as bytes (a line that is not UTF-8 is that line's problem)."""
    try:
        stream = path.open("rb")
    except OSError as error:
        raise UnreadableFile(f"{path}: cannot read: {error.strerror or error}") from None
    with stream:
        yield stream


def read_orders(
    stream: BinaryIO, network: Network, on_line: Callable[[], object] | None = None
) -> WaveOrders:
    """Every order of the stream; ``on_line`` is called after each line (blank ones too)."""
    read = WaveOrders()
    first_seen: dict[str, int] = {}
    for number, raw in enumerate(stream, start=1):
        try:
            order = _order(raw, first=number == 1, network=network)
        except (InvalidDocument, PreviewInputError) as error:
            read.rejected.append((number, _why(error)))
            order = None
        if order is not None:
            seen = first_seen.setdefault(order.id, number)
            if seen != number:
                read.rejected.append((number, f"id: order {order.id!r} is already on line {seen}"))
            else:
                read.orders.append(order)
        if on_line is not None:
            on_line()
    return read


def _order(raw: bytes, *, first: bool, network: Network) -> Order | None:
    body = line_body(raw)
    if not body.strip():
        return None
    order = order_from_document(decode_line(body, first=first)[0])
    delivery = order.delivery
    if delivery.method == "pickup" and delivery.location_id not in network.index:
        raise UnknownLocation(
            "delivery.location_id", f"unknown pickup location {delivery.location_id!r}"
        )
    resolve_method(order, network)  # an unknown delivery method, or one of the wrong kind
    return order


def _why(error: InvalidDocument | PreviewInputError) -> str:
    """One line, whatever the messages hold."""
    text = "; ".join(map(str, error.issues)) if isinstance(error, InvalidDocument) else str(error)
    return " ".join(text.split())
