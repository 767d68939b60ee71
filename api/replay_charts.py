"""Inline SVG charts for the replay report: grouped bars (A next to B) and a map of the network
(locations at their lat/lon, circles sized by load). Plain strings, every text escaped, no
script and no external asset (not even the SVG namespace's address: HTML5 needs none inline),
so the report opens offline."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from html import escape
from typing import Any

COLOR_A = "#4c78a8"
COLOR_B = "#f58518"
MUTED = "#9a9a9a"
MAP_LABELS = 12  # busiest locations named on the map

Format = Callable[[float], str]


def number(value: float) -> str:
    """A figure as a person reads it: integers plain, others with at most 3 decimals."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.3f}".rstrip("0").rstrip(".")


def grouped_bars(
    title: str,
    categories: Sequence[str],
    a: Sequence[float],
    b: Sequence[float],
    names: tuple[str, str],
    fmt: Format = number,
    width: int = 420,
    height: int = 240,
) -> str:
    """One pair of bars (A, B) per category, on a shared axis from 0."""
    left, right, top, bottom = 56, 12, 44, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max([*a, *b, 0.0]) or 1.0
    slot = plot_w / max(len(categories), 1)
    bar = slot * 0.38
    parts = [_open(width, height, title), _legend(names, left, 34)]
    parts.append(_line(left, top + plot_h, left + plot_w, top + plot_h))
    for y, label in ((top, fmt(peak)), (top + plot_h, "0")):
        parts.append(_text(left - 6, y + 4, label, anchor="end", size=10))
    every = math.ceil(len(categories) / 12)  # at most 12 category labels
    for i, category in enumerate(categories):
        x = left + i * slot + slot * 0.12
        for offset, value, color, name in (
            (0.0, a[i], COLOR_A, names[0]),
            (bar, b[i], COLOR_B, names[1]),
        ):
            h = plot_h * max(value, 0.0) / peak
            tip = f"{category}: {name} {fmt(value)}"
            parts.append(
                f'<rect x="{x + offset:.1f}" y="{top + plot_h - h:.1f}" width="{bar:.1f}" '
                f'height="{h:.1f}" fill="{color}"><title>{escape(tip)}</title></rect>'
            )
        if i % every == 0:
            parts.append(_text(x + bar, top + plot_h + 14, category, anchor="middle", size=10))
    parts.append("</svg>")
    return "".join(parts)


def network_map(
    locations: Sequence[dict[str, Any]], names: tuple[str, str], width: int = 640, height: int = 420
) -> str:
    """Every location at its lat/lon (equirectangular, scaled by the mean latitude's cosine):
    A's load a filled circle, B's a ring, areas proportional to units; a grey dot for none."""
    pad, top = 36, 44
    if not locations:
        return _open(width, height, "Load per location") + "</svg>"
    lats = [float(loc["lat"]) for loc in locations]
    lons = [float(loc["lon"]) for loc in locations]
    squeeze = math.cos(math.radians(sum(lats) / len(lats)))
    span_x = (max(lons) - min(lons)) * squeeze or 1.0
    span_y = (max(lats) - min(lats)) or 1.0
    scale = min((width - 2 * pad) / span_x, (height - top - pad) / span_y)

    def at(loc: dict[str, Any]) -> tuple[float, float]:
        x = pad + (float(loc["lon"]) - min(lons)) * squeeze * scale
        y = height - pad - (float(loc["lat"]) - min(lats)) * scale
        return x, y

    peak = max([max(loc["units_a"], loc["units_b"]) for loc in locations] + [1])
    parts = [_open(width, height, "Load per location (units)"), _legend(names, pad, 34)]
    for loc in locations:
        x, y = at(loc)
        tip = (
            f"{loc['location_id']}: {names[0]} {loc['units_a']}, {names[1]} {loc['units_b']} "
            f"({loc['difference']:+d})"
        )
        parts.append(
            f"<g><title>{escape(tip)}</title>"
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2" fill="{MUTED}"/>'
        )
        if loc["units_a"]:
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{_radius(loc["units_a"], peak):.1f}" '
                f'fill="{COLOR_A}" fill-opacity="0.45"/>'
            )
        if loc["units_b"]:
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{_radius(loc["units_b"], peak):.1f}" '
                f'fill="none" stroke="{COLOR_B}" stroke-width="2"/>'
            )
        parts.append("</g>")
    busiest = sorted(locations, key=lambda loc: -max(loc["units_a"], loc["units_b"]))
    for loc in busiest[:MAP_LABELS]:
        if max(loc["units_a"], loc["units_b"]):
            x, y = at(loc)
            parts.append(_text(x + 5, y - 5, str(loc["location_id"]), anchor="start", size=9))
    parts.append("</svg>")
    return "".join(parts)


def _radius(units: int, peak: int) -> float:
    return 3.0 + 24.0 * math.sqrt(units / peak)


def _open(width: int, height: int, title: str) -> str:
    return (
        f'<svg width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">'
        + _text(8, 18, title, anchor="start", size=13, bold=True)
    )


def _legend(names: tuple[str, str], x: float, y: float) -> str:
    out = []
    for i, (name, color) in enumerate(zip(names, (COLOR_A, COLOR_B), strict=True)):
        left = x + i * 170
        out.append(f'<rect x="{left}" y="{y - 9}" width="10" height="10" fill="{color}"/>')
        out.append(_text(left + 14, y, _short(name), anchor="start", size=10))
    return "".join(out)


def _short(name: str, most: int = 26) -> str:
    return name if len(name) <= most else name[: most - 1] + "…"


def _line(x1: float, y1: float, x2: float, y2: float) -> str:
    return f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="#444"/>'


def _text(x: float, y: float, text: str, *, anchor: str, size: int, bold: bool = False) -> str:
    weight = ' font-weight="bold"' if bold else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}"{weight}>'
        f"{escape(text)}</text>"
    )
