"""Fixtures shared by every test area."""

from pathlib import Path

import pytest


@pytest.fixture(autouse=True, scope="session")
def _private_result_cache(tmp_path_factory):
    """Each test session gets its own audit result cache (never the user's ~/.cache)."""
    import os

    os.environ["GOLFCHECK_CACHE_DIR"] = str(tmp_path_factory.mktemp("golfcheck-cache"))
    yield


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
