"""Reading JSON Lines files line by line: order imports and waves. A bad line is that line's
problem (the caller reports its number and goes on), never the file's."""

from __future__ import annotations

import json
from typing import Any, BinaryIO

from flows.errors import InvalidDocument, Issue


def count_lines(stream: BinaryIO) -> int | None:
    """Lines in the file (a progress bar's total), or ``None`` for a pipe, which cannot be
    read twice."""
    if not stream.seekable():
        return None
    count = sum(1 for _ in stream)
    stream.seek(0)
    return count


def line_body(raw: bytes) -> bytes:
    """The line's text exactly, without its "\\n" or "\\r\\n" (JSON Lines allows both)."""
    if raw.endswith(b"\n"):
        raw = raw[:-1]
    return raw[:-1] if raw.endswith(b"\r") else raw


def decode_line(body: bytes, *, first: bool, what: str = "order") -> tuple[Any, str]:
    """The line's document and its text. Errors name the column, not json's "line 1": the
    report already gives the file's line number."""
    try:
        # A byte order mark can only open the file; editors on Windows write one.
        text = body.decode("utf-8-sig" if first else "utf-8")
    except UnicodeDecodeError as error:
        raise _unreadable(what, f"not UTF-8 text (byte {error.start + 1})") from None
    try:
        return json.loads(text), text
    except json.JSONDecodeError as error:
        raise _unreadable(what, f"not valid JSON: {error.msg} at column {error.colno}") from None
    except (ValueError, RecursionError) as error:  # a 5000-digit number, [[[[... nested
        raise _unreadable(what, f"not valid JSON: {error}") from None


def _unreadable(what: str, message: str) -> InvalidDocument:
    return InvalidDocument(what, [Issue("", message)])
