"""Run one unit of work in a forked child process, with a memory cap and a hard deadline.

Audited files are untrusted, and the native parser under libcst has crashed on hostile input (a
segfault on a deep expression, an abort on allocation failure). Whatever happens in the child - a
crash by signal, a breach of its memory cap, a hang inside native code that no Python signal
handler can interrupt - the caller survives and gets an :class:`Outcome` that says what happened, so
that one unit becomes one finding while the batch goes on.

The child is a ``fork`` of the caller: it starts with everything already imported and loaded, so
the cost is a few milliseconds, and the result comes back pickled through a pipe. Where ``fork`` is
not available (Windows), the work runs in the calling process, without isolation.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import sys
import time
from dataclasses import dataclass
from typing import Any, Callable

from golfcheck.errors import GolfcheckError

_EXIT_NO_RESULT = 70


@dataclass
class Outcome:
    """What a child returned (``value``), or why it returned nothing (``failure``, a phrase that
    completes "the analysis ...", and ``kind``: crash | memory | timeout)."""

    value: Any = None
    failure: str = ""
    kind: str = ""

    @property
    def ok(self) -> bool:
        return not self.kind


def available() -> bool:
    return hasattr(os, "fork")


def data_bytes() -> int | None:
    """Private writable memory of this process (Linux ``VmData``), what ``RLIMIT_DATA`` counts."""
    try:
        with open("/proc/self/status", "rb") as fh:
            for line in fh:
                if line.startswith(b"VmData:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def cap_memory(megabytes: float) -> bool:
    """Let this process allocate at most ``megabytes`` MiB more than it holds now (``RLIMIT_DATA``:
    heap and anonymous mappings, not shared libraries). Python then raises MemoryError; native code
    that cannot allocate aborts. False where the platform does not support it."""
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return False
    held = data_bytes()
    if held is None or not hasattr(resource, "RLIMIT_DATA"):
        return False
    limit = held + int(megabytes * 1024 * 1024)
    _soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    try:
        resource.setrlimit(resource.RLIMIT_DATA, (limit, hard))
    except (ValueError, OSError):
        return False
    return True


def run(fn: Callable[..., Any], *args: Any, timeout: float | None = None, memory_mb: float | None = None) -> Outcome:
    """``fn(*args)`` in a forked child; a :class:`GolfcheckError` it raises is raised here again.

    ``timeout``: seconds after which the child is killed (the caller's own soft limit, if any, should
    come first and give the nicer message). ``memory_mb``: the child's allocation cap.
    """
    if not available():
        return Outcome(fn(*args))
    read_fd, write_fd = os.pipe()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()  # a child's exit must not write the parent's buffered output twice
        except (OSError, ValueError, AttributeError):
            pass
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child (its coverage is not collected)
        _child(read_fd, write_fd, fn, args, memory_mb)
    os.close(write_fd)
    return _collect(pid, read_fd, timeout, memory_mb)


def _child(read_fd: int, write_fd: int, fn, args, memory_mb) -> None:  # pragma: no cover - child side
    code = _EXIT_NO_RESULT
    try:
        os.close(read_fd)
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C ends the child; the parent reports it
        import faulthandler

        faulthandler.disable()  # a native crash here is expected and reported by the parent
        # a native abort prints its own diagnostics; the parent's one-line finding says what happened
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.dup2(null, 2)
        os.close(null)
        if memory_mb:
            cap_memory(memory_mb)
        try:
            result: tuple = ("ok", fn(*args))
        except MemoryError:
            result = ("memory",)
        except GolfcheckError as exc:
            result = ("usage", exc.problem, exc.path)
        except BaseException as exc:  # noqa: BLE001 - reported by the parent as a failure of this unit
            result = ("error", f"{type(exc).__name__}: {exc}"[:300])
        try:
            payload = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
        except MemoryError:
            payload = pickle.dumps(("memory",))
        except Exception as exc:  # noqa: BLE001 - an unpicklable value
            payload = pickle.dumps(("error", f"result not transferable ({type(exc).__name__})"))
        view = memoryview(payload)
        while view:
            view = view[os.write(write_fd, view):]
        code = 0
    except BaseException:  # noqa: BLE001 - nothing may escape into the caller's stack frames
        pass
    finally:
        os._exit(code)


def _collect(pid: int, read_fd: int, timeout: float | None, memory_mb: float | None) -> Outcome:
    deadline = None if not timeout else time.monotonic() + timeout
    chunks: list[bytes] = []
    timed_out = False
    try:
        while True:
            wait = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready, _, _ = select.select([read_fd], [], [], wait)
            if not ready:
                timed_out = True
                break
            chunk = os.read(read_fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    except BaseException:  # Ctrl-C or any failure here: the child must not outlive the caller
        os.close(read_fd)
        _kill(pid)
        os.waitpid(pid, 0)
        raise
    os.close(read_fd)
    if timed_out:
        _kill(pid)
    _, status = os.waitpid(pid, 0)
    cap = f" (its memory cap is {memory_mb:,.0f} MiB)" if memory_mb else ""
    if timed_out:
        return Outcome(failure=f"was stopped after {timeout:g} s", kind="timeout")
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = f"signal {sig}"
        why = f"its memory cap of {memory_mb:,.0f} MiB exhausted" if memory_mb else "memory exhausted"
        return Outcome(failure=f"crashed with {name} (a native parser failure, or {why})", kind="crash")
    try:
        result = pickle.loads(b"".join(chunks)) if chunks else None
    except Exception:  # noqa: BLE001 - a truncated result
        result = None
    if not result:
        return Outcome(failure=f"ended without a result (exit status {os.WEXITSTATUS(status)}){cap}", kind="crash")
    if result[0] == "ok":
        return Outcome(result[1])
    if result[0] == "memory":
        return Outcome(failure=f"ran out of memory{cap}", kind="memory")
    if result[0] == "usage":
        raise GolfcheckError(result[1], result[2])
    return Outcome(failure=f"failed ({result[1]})", kind="crash")


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
