"""Fixtures for engine tests."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from engine_helpers import INLINE_RULES  # noqa: E402


@pytest.fixture
def inline_catalogue(monkeypatch):
    """Make the engine, the CLI and the SARIF formatter see only GC001-GC003 plus the inline rules."""
    import golfcheck.rules as catalogue

    real = [r for r in catalogue.all_rules() if r.id in ("GC001", "GC002", "GC003")]
    rules = tuple(sorted([*real, *INLINE_RULES], key=lambda r: r.id))
    monkeypatch.setattr(catalogue, "all_rules", lambda: rules)
    return rules
