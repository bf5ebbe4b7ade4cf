"""Errors that end a command with exit code 2 and a one-line message naming the file."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator


class GolfcheckError(Exception):
    """Bad input or usage: the CLI prints ``golfcheck: <path>: <problem>`` and exits 2."""

    def __init__(self, problem: str, path: str | None = None):
        super().__init__(problem)
        self.problem = problem
        self.path = path

    def __str__(self) -> str:
        return f"{self.path}: {self.problem}" if self.path else self.problem


@contextmanager
def reading(path) -> Iterator[None]:
    """Tag an unexpected exception raised inside with the file or folder being read, so that the CLI's
    last line of defence can name it (``golfcheck: <path>: internal error: ...``)."""
    try:
        yield
    except GolfcheckError:
        raise
    except Exception as exc:
        if getattr(exc, "golfcheck_path", None) is None:
            try:
                exc.golfcheck_path = str(path)
            except AttributeError:  # pragma: no cover - exceptions without a __dict__
                pass
        raise
