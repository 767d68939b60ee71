"""Group commit: concurrent record writes share transactions; each writer gets its outcome."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

import pytest

from inventory.errors import CacheStale
from inventory.group_commit import GroupCommit
from inventory.model import Change


class SlowRecord:
    """Records batches; the first batch waits until every writer has queued behind it."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.first = threading.Event()
        self.release = threading.Event()

    def write_many(self, changes: Sequence[Change]) -> None:
        if not self.first.is_set():
            self.first.set()
            self.release.wait(5)
        if any(c.marker == "stale" for c in changes):
            raise CacheStale("stale build")
        self.batches.append([c.seq for c in changes])


def run(writers: int, markers: list[str]) -> tuple[SlowRecord, list[BaseException | None]]:
    record = SlowRecord()
    commit = GroupCommit(record.write_many)
    outcomes: list[BaseException | None] = [None] * writers

    def write(n: int) -> None:
        if n > 0:
            record.first.wait(5)  # the leader is inside its first write: queue behind it
        try:
            commit.write(Change(markers[n], n))
        except CacheStale as exc:
            outcomes[n] = exc

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    threads[0].start()
    record.first.wait(5)
    for thread in threads[1:]:
        thread.start()
    deadline = time.monotonic() + 5
    while not _all_queued(commit, writers - 1) and time.monotonic() < deadline:
        time.sleep(0.001)
    record.release.set()
    for thread in threads:
        thread.join(5)
    return record, outcomes


def _all_queued(commit: GroupCommit, count: int) -> bool:
    with commit._lock:
        return len(commit._queue) >= count


def test_writers_that_arrive_during_a_commit_share_the_next_one() -> None:
    record, outcomes = run(6, ["m.1"] * 6)
    assert outcomes == [None] * 6
    assert [sorted(batch) for batch in record.batches] == [[0], [1, 2, 3, 4, 5]]


def test_each_build_gets_its_own_transaction_and_its_own_outcome() -> None:
    record, outcomes = run(5, ["m.1", "m.1", "stale", "m.1", "stale"])
    assert [type(o) if o else None for o in outcomes] == [None, None, CacheStale, None, CacheStale]
    assert sorted(map(sorted, record.batches)) == [[0], [1, 3]]


def test_a_lone_writer_commits_its_change_alone() -> None:
    seen: list[list[int]] = []
    commit = GroupCommit(lambda changes: seen.append([c.seq for c in changes]))
    for seq in range(3):
        commit.write(Change("m.1", seq))
    assert seen == [[0], [1], [2]]


def test_the_record_error_reaches_the_writer() -> None:
    def broken(_: Sequence[Change]) -> None:
        raise CacheStale("gone")

    with pytest.raises(CacheStale):
        GroupCommit(broken).write(Change("m.1", 1))
