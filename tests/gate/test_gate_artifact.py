"""The gate reports the same artifact sum as `golfcheck size` (fixture: tests/checks/test_counted_artifact.py)."""

import importlib.util
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location(
    "counted_artifact", Path(__file__).resolve().parents[1] / "checks" / "test_counted_artifact.py")
shape = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(shape)


@pytest.fixture
def a2(make_folder):
    files, top_model = shape.a2_files()
    return make_folder(files, "2026-04-09_A2_Muon097_3Seed"), top_model


def test_gate_reports_the_same_sum(repo, a2):
    from golfcheck.gate import run_gate

    root, top_model = a2
    files = {p.relative_to(root).as_posix(): p.read_text() for p in root.rglob("*") if p.is_file()}
    code = files.pop("train_gpt.py")
    repo.add_submission("2026-04-09_A2_Muon097_3Seed", files=files, code=code)
    repo.commit()
    result = run_gate(repo.root, repo.base, "pr")
    assert result.report.sections["size"]["total_bytes"] == top_model + shape.EXPECTED_CODE
    assert any(f.rule == "GC501" and f.severity.value == "error" for f in result.report.findings)


