"""One writer at a time per data directory, across processes (flock) and threads (a mutex)."""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK_NAME = "write.lock"
OPEN_LOCK_NAME = "open.lock"


class WriteLock:
    """Exclusive for writers, shared for readers of embedded Chroma; re-entrant in a thread.

    Embedded Chroma is not safe with two writing processes: two concurrent writers left about
    a tenth of the vectors out of the index, three left a store that crashed every later open
    (see RELIABILITY.md). Readers take the shared mode so that they never load index files
    that a writer is half-way through saving. Within a process the mutex serializes all of it.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._mutex = threading.RLock()
        self._depth = 0
        self._exclusive = False
        self._fd: int | None = None

    @contextmanager
    def hold(self) -> Iterator[None]:
        """The write lock: no other writer or reader of this data directory meanwhile."""
        with self._held(exclusive=True):
            yield

    @contextmanager
    def shared(self) -> Iterator[None]:
        """The read lock: other readers may hold it too; writers wait. Free inside `hold()`."""
        with self._held(exclusive=False):
            yield

    @contextmanager
    def _held(self, *, exclusive: bool) -> Iterator[None]:
        with self._mutex:
            if self._depth == 0:
                self._acquire(exclusive)
            elif exclusive and not self._exclusive:
                # flock would trade the shared lock for the exclusive one, letting another
                # writer in between: a caller that reads and then writes must lock for writing.
                raise RuntimeError("a store read lock cannot be upgraded to a write lock")
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self._release()

    def _acquire(self, exclusive: bool) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            # Blocks while another process holds it in a conflicting mode; the kernel drops a
            # lock when its holder dies, even by SIGKILL, so a crash never leaves it stuck.
            fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        except BaseException:
            os.close(fd)
            raise
        self._fd, self._exclusive = fd, exclusive

    def _release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
        self._fd, self._exclusive = None, False


@contextmanager
def opening_lock(data_dir: Path) -> Iterator[None]:
    """Exclusive while a process opens embedded Chroma in `data_dir`.

    Opening a new Chroma directory runs its schema migrations without a lock of their own:
    two processes opening the same fresh directory at once failed with "table collections
    already exists" or "database is locked". A separate file from the write lock, so that
    opening a store never waits for a long ingest.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    with _OPENING_GUARD:
        fd = os.open(data_dir / OPEN_LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing drops the flock


_OPENING_GUARD = threading.Lock()
_LOCKS: dict[Path, WriteLock] = {}
_LOCKS_GUARD = threading.Lock()


def write_lock(data_dir: Path) -> WriteLock:
    """The process's one lock object for `data_dir` (two objects would deadlock each other)."""
    path = (data_dir / LOCK_NAME).absolute()
    with _LOCKS_GUARD:
        if path not in _LOCKS:
            _LOCKS[path] = WriteLock(path)
        return _LOCKS[path]
