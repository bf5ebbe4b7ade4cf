"""Fixtures shared by every test area."""

from pathlib import Path

import pytest


@pytest.fixture
def make_folder(tmp_path):
    """Write ``{rel: text|bytes}`` into a fresh dated folder and return its path."""

    def make(files: dict, name: str = "2026-05-01_Example") -> Path:
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
