"""The lock between writers: a dead holder's lock is taken over, a live one's never,
and neither leaves a file behind."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from site_builder import locks


def dead_pid() -> int:
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, check=True
    )
    return int(done.stdout)


@pytest.fixture
def held(tmp_path: Path) -> Iterator[tuple[Path, int]]:
    """`x.lock` held by another open file, naming a holder that is already dead."""
    lock = tmp_path / "x.lock"
    fd = os.open(lock, os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    record = {"pid": dead_pid(), "host": os.uname().nodename, "started": 0.0}
    os.write(fd, json.dumps(record).encode())
    yield lock, fd
    with contextlib.suppress(OSError):  # closed by the test that lets it exit
        os.close(fd)


def test_a_lock_kept_after_its_holder_died_is_taken_over_and_nothing_is_left(
    held: tuple[Path, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    lock, _ = held
    taken: list[Path] = []
    take_over = locks._take_over

    def counted(path: Path) -> None:
        taken.append(path)
        take_over(path)

    monkeypatch.setattr(locks, "_take_over", counted)
    with locks.locked(lock):
        assert taken == [lock]
        assert sorted(p.name for p in lock.parent.iterdir()) == ["x.lock"]
        assert json.loads(lock.read_text())["pid"] == os.getpid()
    assert list(lock.parent.iterdir()) == []


def test_a_holder_that_exits_while_a_waiter_looks_is_waited_for_not_taken_over(
    held: tuple[Path, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    lock, fd = held
    taken: list[Path] = []
    monkeypatch.setattr(locks, "_take_over", taken.append)

    def exits_just_now(pid: int) -> bool:
        # The holder finishes as `locked` does between the waiter reading its name and
        # asking whether it lives: it removes the file, then lets go of it.
        lock.unlink()
        os.close(fd)
        return False

    monkeypatch.setattr(locks, "_alive", exits_just_now)
    with locks.locked(lock):
        assert taken == []
        assert sorted(p.name for p in lock.parent.iterdir()) == ["x.lock"]
    assert list(lock.parent.iterdir()) == []


def test_a_holder_in_another_pid_namespace_is_waited_for_never_taken_over(
    held: tuple[Path, int],
) -> None:
    """A container sharing the host name but not the PID namespace: the holder's pid means
    nothing here, so its lock is waited for."""
    import threading

    lock, fd = held
    record = {"pid": dead_pid(), "host": os.uname().nodename, "started": 0.0}
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps({**record, "pidns": "pid:[1]"}).encode(), 0)
    acquired = threading.Event()

    def take() -> None:
        with locks.locked(lock):
            acquired.set()

    waiter = threading.Thread(target=take)
    waiter.start()
    assert not acquired.wait(1.0), "a lock held in another PID namespace was taken over"
    os.close(fd)  # the holder finishes
    assert acquired.wait(10)
    waiter.join(10)
    assert list(lock.parent.iterdir()) == []
