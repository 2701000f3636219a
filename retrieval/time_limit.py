"""Run a CPU-bound function in a helper process, so one pathological input costs a bounded time."""

from __future__ import annotations

import os
import pickle
import select
import struct
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import IO, Any

# Starting the helper imports its libraries; that is not the input's fault, so it has its own
# generous bound and does not count against the per-call limit.
_START_TIMEOUT_S = 120.0
_HEADER = struct.Struct("!Q")


class TimeLimitExceeded(Exception):
    """The call did not finish in time; the helper process was killed."""


class HelperCrashed(Exception):
    """The helper process died (a crash in native code) or the function raised; see message."""


def _write_frame(stream: IO[bytes], payload: object) -> None:
    data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def _read_exactly(stream: IO[bytes], size: int) -> bytes:
    chunks = []
    while size:
        chunk = stream.read(size)
        if not chunk:
            raise EOFError("the other side closed the pipe")
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _read_frame(stream: IO[bytes]) -> Any:
    (size,) = _HEADER.unpack(_read_exactly(stream, _HEADER.size))
    return pickle.loads(_read_exactly(stream, size))


def _wait_readable(stream: IO[bytes], timeout_s: float) -> bool:
    ready, _, _ = select.select([stream], [], [], timeout_s)
    return bool(ready)


class HelperProcess:
    """One reusable `python -m retrieval.time_limit` child; calls are serialized, and a call
    past its limit kills the child (the next call starts a new one).

    A fresh interpreter rather than multiprocessing: a fork would copy the parent's threads and
    native libraries (Chroma) in an inconsistent state, and multiprocessing's spawn re-imports
    the caller's main script, which breaks scripts without a `__main__` guard.
    """

    def __init__(self, warm_up: Callable[[], object] | None = None) -> None:
        self._warm_up = warm_up
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None

    def _start(self) -> subprocess.Popen[bytes]:
        if self._process is not None and self._process.poll() is None:
            return self._process
        self._stop()
        process = subprocess.Popen(
            [sys.executable, "-m", "retrieval.time_limit"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # library warnings about odd pages are not ours to show
            close_fds=True,
        )
        assert process.stdin is not None and process.stdout is not None
        self._process = process
        try:
            _write_frame(process.stdin, self._warm_up)
            if not _wait_readable(process.stdout, _START_TIMEOUT_S):
                raise HelperCrashed("the helper process did not start in time")
            _read_frame(process.stdout)
        except (EOFError, OSError) as exc:
            self._stop()
            raise HelperCrashed("the helper process failed to start") from exc
        except HelperCrashed:
            self._stop()
            raise
        return process

    def _stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.kill()
        process.wait()
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                stream.close()

    def call(self, timeout_s: float, func: Callable[..., Any], *args: Any) -> Any:
        """func(*args) in the helper; func must be a module-level function of an importable
        module (it is pickled by name)."""
        with self._lock:
            process = self._start()
            assert process.stdin is not None and process.stdout is not None
            try:
                _write_frame(process.stdin, (func, args))
                if not _wait_readable(process.stdout, timeout_s):
                    self._stop()
                    raise TimeLimitExceeded(f"took longer than {timeout_s:g} s")
                status, value = _read_frame(process.stdout)
            except (EOFError, OSError) as exc:
                self._stop()
                raise HelperCrashed("the helper process died while working") from exc
        if status == "error":
            raise HelperCrashed(value)
        return value

    def close(self) -> None:
        with self._lock:
            self._stop()


def _serve() -> None:
    requests = sys.stdin.buffer
    # The protocol owns the real stdout; anything a library prints goes to stderr instead.
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    try:
        warm_up = _read_frame(requests)
        if warm_up is not None:
            warm_up()
        _write_frame(replies, ("ready", None))
        while True:
            func, args = _read_frame(requests)
            try:
                reply = ("ok", func(*args))
            except Exception as exc:  # reported to the parent as this call's failure
                reply = ("error", f"{type(exc).__name__}: {exc}")
            _write_frame(replies, reply)
    except (EOFError, BrokenPipeError):
        return  # the parent is gone or closed the pipe


if __name__ == "__main__":
    _serve()
