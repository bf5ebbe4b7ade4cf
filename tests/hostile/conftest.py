"""Fixtures for the hostile-input suite: generated attack inputs (see attacks.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


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
