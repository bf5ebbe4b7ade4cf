"""Tests generated from every rule's VALID and INVALID examples (each example is a folder on disk)."""

from __future__ import annotations

import pytest

from golfcheck.api import Unit, audit_unit
from golfcheck.engine import Options
from golfcheck.findings import Severity
from golfcheck.rules import all_rules

CASES = [
    pytest.param(rule, kind, i, ex, id=f"{rule.id}-{kind}-{i}")
    for rule in all_rules()
    for kind, examples in (("VALID", rule.VALID), ("INVALID", rule.INVALID))
    for i, ex in enumerate(examples)
]


def run_example(tmp_path, rule, ex):
    tmp_path = tmp_path / "2026-05-01_Example"  # a submission folder is named by its date
    for rel, text in ex.folder_files().items():
        target = tmp_path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    code = tuple(sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*.py")))
    findings, _ = audit_unit(Unit(tmp_path, code, True, ""), Options(select=(rule.id,), scopes=("code", "folder")))
    return [f for f in findings if f.rule == rule.id]


@pytest.mark.parametrize("rule,kind,i,ex", CASES)
def test_rule_example(tmp_path, rule, kind, i, ex):
    found = run_example(tmp_path, rule, ex)
    if kind == "VALID":
        # a VALID example may reach a risky shape only on a path the run configuration disables: such
        # findings are dormant notes, which say so; anything else is a false alarm
        fired = [f for f in found if not (f.severity is Severity.NOTE and "dormant:" in f.message)]
        assert not fired, f"{rule.id} VALID example {i} ({ex.trap}) fired: {[f.message for f in fired]}"
        return
    expected = ex.severity or rule.severity
    assert found, f"{rule.id} INVALID example {i} ({ex.trap}) did not fire"
    assert any(f.severity == expected for f in found), (
        f"{rule.id} INVALID example {i}: expected severity {expected.value}, got {[f.severity.value for f in found]}")
    lines = {f.line for f in found}
    assert set(ex.lines) <= lines, f"{rule.id} INVALID example {i}: expected lines {ex.lines}, got {sorted(lines)}"


def test_every_rule_has_examples():
    for rule in all_rules():
        assert rule.VALID and rule.INVALID, f"{rule.id} needs VALID and INVALID examples"
        assert rule.id.startswith("GC") and len(rule.id) == 5
        assert rule.summary and rule.name == rule.name.lower()


def test_ids_unique_and_sorted():
    ids = [r.id for r in all_rules()]
    assert ids == sorted(set(ids))
