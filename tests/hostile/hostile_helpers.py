"""Helpers for the hostile-input suite (a module of its own: every test area has a conftest.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def golfcheck_cli(args: list[str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run ``python -m golfcheck`` in a fresh process: a crash is a failed assertion, not a dead suite."""
    env = dict(os.environ)
    return subprocess.run([sys.executable, "-m", "golfcheck", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env=env)
