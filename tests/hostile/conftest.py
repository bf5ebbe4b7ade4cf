"""Fixtures for the hostile-input suite: generated attack inputs (see attacks.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

def golfcheck_cli(args: list[str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run ``python -m golfcheck`` in a fresh process: a crash is a failed assertion, not a dead suite."""
    env = dict(os.environ)
    return subprocess.run([sys.executable, "-m", "golfcheck", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env=env)


@pytest.fixture
def write(tmp_path):
    """Write ``{rel: str | bytes}`` under a fresh folder and return its path."""

    def make(files: dict, name: str = "2026-05-01_Hostile") -> Path:
        root = tmp_path / name
        root.mkdir(parents=True, exist_ok=True)
        for rel, content in files.items():
            p = root / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                p.write_bytes(content)
            else:
                p.write_text(content, encoding="utf-8")
        return root

    return make
