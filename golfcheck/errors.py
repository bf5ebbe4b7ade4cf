"""Errors that end a command with exit code 2 and a one-line message naming the file."""

from __future__ import annotations


class GolfcheckError(Exception):
    """Bad input or usage: the CLI prints ``golfcheck: <path>: <problem>`` and exits 2."""

    def __init__(self, problem: str, path: str | None = None):
        super().__init__(problem)
        self.problem = problem
        self.path = path

    def __str__(self) -> str:
        return f"{self.path}: {self.problem}" if self.path else self.problem
