"""The network as an inline SVG map, with no tile server and no external asset.

An equirectangular projection (longitude scaled by the cosine of the middle latitude) fitted to
the bounding box of the locations and, after a preview, of its delivery point. The template
(``routing_map.html``) draws what :func:`network_map` computes: one marker per location
(warehouses squares, stores circles), the chosen route's locations highlighted with a leg to
the delivery point. Networks that straddle the antimeridian are drawn the long way round.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from engine.answer import PreviewAnswer
from engine.network import Network
from engine.order import Order, ShipDelivery

WIDTH = 800.0
MIN_HEIGHT = 240.0
MAX_HEIGHT = 560.0
PAD = 28.0
MIN_SPAN_DEGREES = 0.5  # one location, or a few on one street, still get a readable map
RADIUS = 7
CHOSEN_RADIUS = 10
DESTINATION_RADIUS = 12
FONT = 13  # the labels' font size, in the map's units
MAX_LABELS = 30  # above this, only the highlighted locations are labelled (titles show all)

Box = tuple[float, float, float, float]  # left, top, right, bottom


@dataclass(frozen=True, slots=True)
class Marker:
    id: str
    kind: str  # "warehouse" or "store"
    x: float
    y: float
    title: str
    chosen: bool
    label_x: float | None = None  # None: no room for a label (the title still names it)
    anchor: str = "start"  # the label's text-anchor: "start" right of the marker, "end" left

    @property
    def radius(self) -> int:
        return CHOSEN_RADIUS if self.chosen else RADIUS


@dataclass(frozen=True, slots=True)
class Point:
    x: float
    y: float
    title: str


@dataclass(frozen=True, slots=True)
class Leg:
    x1: float
    y1: float
    x2: float
    y2: float


@dataclass(frozen=True, slots=True)
class MapView:
    width: float
    height: float
    markers: list[Marker]
    destination: Point | None
    legs: list[Leg]

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width:.0f} {self.height:.0f}"


@dataclass(frozen=True, slots=True)
class _Projection:
    x0: float
    y0: float
    kx: float
    scale: float
    dx: float
    dy: float

    def __call__(self, lat: float, lon: float) -> tuple[float, float]:
        x = (lon * self.kx - self.x0) * self.scale + self.dx
        y = (self.y0 - lat) * self.scale + self.dy
        return round(x, 1), round(y, 1)


def network_map(
    network: Network, answer: PreviewAnswer | None = None, order: Order | None = None
) -> MapView:
    """The map of ``network``; with a preview's ``answer`` and ``order``, its best route's
    locations and the delivery point highlighted."""
    destination = _destination(network, order)
    points = [(loc.lat, loc.lon) for loc in network.locations]
    if destination is not None:
        points.append(destination[:2])
    project, width, height = _fit(points)
    chosen = _chosen(answer)
    markers = []
    for loc in network.locations:
        x, y = project(loc.lat, loc.lon)
        title = f"{loc.id} · {loc.type} · {loc.lat:.2f}, {loc.lon:.2f}"
        markers.append(Marker(loc.id, loc.type, x, y, title, loc.id in chosen))
    target = None
    if destination is not None:
        lat, lon, title = destination
        tx, ty = project(lat, lon)
        target = Point(tx, ty, title)
    markers = _labelled(markers, target, label_all=len(markers) <= MAX_LABELS)
    # The highlighted ones last, so they are drawn on top of their neighbours.
    markers.sort(key=lambda marker: marker.chosen)
    legs: list[Leg] = []
    if target is not None:
        legs = [Leg(m.x, m.y, target.x, target.y) for m in markers if m.chosen]
    return MapView(width, height, markers, target, legs)


def _labelled(markers: list[Marker], target: Point | None, *, label_all: bool) -> list[Marker]:
    """The markers with a label where it fits: right of the marker, else left of it, never
    over another marker, label or the delivery point (the highlighted ones placed first)."""
    taken: list[Box] = [_around(m.x, m.y, m.radius) for m in markers]
    if target is not None:
        taken.append(_around(target.x, target.y, DESTINATION_RADIUS))
    placed: dict[str, Marker] = {}
    for marker in sorted(markers, key=lambda m: not m.chosen):
        if not (label_all or marker.chosen):
            continue
        own = _around(marker.x, marker.y, marker.radius)
        width = len(marker.id) * FONT * 0.62
        gap = marker.radius + 4
        for anchor, left in (("start", marker.x + gap), ("end", marker.x - gap - width)):
            box = (left, marker.y - FONT * 0.75, left + width, marker.y + FONT * 0.35)
            inside = box[0] >= 0 and box[2] <= WIDTH
            if inside and not any(_overlap(box, other) for other in taken if other != own):
                taken.append(box)
                label_x = round(left if anchor == "start" else left + width, 1)
                placed[marker.id] = replace(marker, label_x=label_x, anchor=anchor)
                break
    return [placed.get(m.id, m) for m in markers]


def _around(x: float, y: float, radius: float) -> Box:
    return (x - radius, y - radius, x + radius, y + radius)


def _overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _destination(network: Network, order: Order | None) -> tuple[float, float, str] | None:
    if order is None:
        return None
    delivery = order.delivery
    if isinstance(delivery, ShipDelivery):
        title = f"delivery point · {delivery.lat:.2f}, {delivery.lon:.2f}"
        return delivery.lat, delivery.lon, title
    index = network.index.get(delivery.location_id)
    if index is None:
        return None
    store = network.locations[index]
    return store.lat, store.lon, f"pickup at {store.id}"


def _chosen(answer: PreviewAnswer | None) -> frozenset[str]:
    if answer is None or not answer.routes:
        return frozenset()
    return frozenset(fo.location_id for fo in answer.routes[0].fulfillment_orders)


def _fit(points: list[tuple[float, float]]) -> tuple[_Projection, float, float]:
    """A projection of ``points`` into a WIDTH-wide box, and the box's height."""
    if not points:
        return _Projection(0, 0, 1, 1, WIDTH / 2, MIN_HEIGHT / 2), WIDTH, MIN_HEIGHT
    lats = [lat for lat, _ in points]
    middle = (min(lats) + max(lats)) / 2
    kx = max(math.cos(math.radians(middle)), 0.05)
    xs = [lon * kx for _, lon in points]
    span_x = max(max(xs) - min(xs), MIN_SPAN_DEGREES)
    span_y = max(max(lats) - min(lats), MIN_SPAN_DEGREES)
    inner_w = WIDTH - 2 * PAD
    scale = inner_w / span_x
    height = span_y * scale + 2 * PAD
    if height > MAX_HEIGHT:
        scale = (MAX_HEIGHT - 2 * PAD) / span_y
        height = MAX_HEIGHT
    height = max(height, MIN_HEIGHT)
    # Centre the drawing in the box on both axes.
    x_mid = (max(xs) + min(xs)) / 2
    y_mid = (max(lats) + min(lats)) / 2
    projection = _Projection(x_mid, y_mid, kx, scale, WIDTH / 2, height / 2)
    return projection, WIDTH, round(height, 1)
