"""Fixtures shared by every test area."""

import sys
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


@pytest.fixture
def inline_catalogue(monkeypatch):
    """Make the engine, the CLI and the SARIF formatter see only GC001-GC003 plus the tiny inline
    rules of tests/engine/engine_helpers.py (GC990 danger() error, GC991 risky() warning)."""
    sys.path.insert(0, str(Path(__file__).parent / "engine"))
    from engine_helpers import INLINE_RULES

    import golfcheck.rules as catalogue

    real = [r for r in catalogue.all_rules() if r.id in ("GC001", "GC002", "GC003")]
    rules = tuple(sorted([*real, *INLINE_RULES], key=lambda r: r.id))
    monkeypatch.setattr(catalogue, "all_rules", lambda: rules)
    return rules
