"""--history: errors on records dated before a rule's ruling become warnings naming the precedent."""

import json
from pathlib import Path

from golfcheck.findings import Finding, Severity
from golfcheck.history import apply_history, record_date
from golfcheck.rules import get_rule


def _f(rule: str, sev=Severity.ERROR) -> Finding:
    return Finding(rule, sev, "train_gpt.py", 3, 0, "msg")


def test_record_date_from_folder_name_then_json(tmp_path):
    assert record_date(tmp_path / "2026-04-16_SmearGate") == "2026-04-16"
    assert record_date(tmp_path / "MyRun", {"date": "2026-03-20T12:00:00Z"}) == "2026-03-20"
    assert record_date(tmp_path / "MyRun", {}) is None


def test_record_date_of_the_current_folder(tmp_path, monkeypatch):
    # `golfcheck check .` inside a dated folder: "." has no name of its own
    folder = tmp_path / "2026-04-05_SLOT24"
    folder.mkdir()
    monkeypatch.chdir(folder)
    assert record_date(Path(".")) == "2026-04-05"


def test_error_before_ruling_becomes_warning():
    assert get_rule("GC110").ruling_date == "2026-04-26"
    out = apply_history([_f("GC110")], "2026-04-16")
    assert out[0].severity is Severity.WARNING and "precedes the ruling of 2026-04-26" in out[0].message


def test_error_after_ruling_and_rules_without_date_unchanged():
    assert apply_history([_f("GC110")], "2026-04-27")[0].severity is Severity.ERROR
    assert apply_history([_f("GC001")], "2026-03-01")[0].severity is Severity.ERROR
    assert apply_history([_f("GC110")], None)[0].severity is Severity.ERROR


def test_audit_history_downgrades_on_an_old_record(tmp_path):
    from golfcheck.api import Unit, audit_unit
    from golfcheck.engine import Options

    rule = get_rule("GC201")
    example = next(ex for ex in rule.INVALID if (ex.severity or rule.severity) is Severity.ERROR)
    results = {}
    for history in (False, True):
        folder = tmp_path / f"{history}" / "2026-03-19_SlidingWindowEval"  # a merged record's name
        for rel, text in example.folder_files().items():
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            (folder / rel).write_text(text)
        code = tuple(sorted(str(p.relative_to(folder)) for p in folder.rglob("*.py")))
        findings, _ = audit_unit(Unit(folder, code, True, ""), Options(select=("GC201",), history=history))
        results[history] = {f.severity for f in findings if f.rule == "GC201"}
    assert Severity.ERROR in results[False]
    assert Severity.WARNING in results[True] and Severity.ERROR not in results[True]


def test_history_applies_to_merged_records_only(tmp_path, capsys):
    """A PR that was never merged is judged by today's rulings, whatever its date (GC101 stays an error)."""
    from golfcheck.checks.examples import good_files
    from golfcheck.cli import main
    from golfcheck.history import is_merged

    rule = get_rule("GC101")
    example = next(ex for ex in rule.INVALID if (ex.severity or rule.severity) is Severity.ERROR)
    folder = tmp_path / "2026-03-19_NeverMerged"
    for rel, text in example.folder_files().items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(text)
    assert not is_merged(folder) and is_merged(tmp_path / "2026-03-19_SlidingWindowEval")
    assert main(["audit", str(folder), "--history", "--select", "GC101", "--format", "json"]) == 1
    d = json.loads(capsys.readouterr().out)
    assert any(f["rule"] == "GC101" and f["severity"] == "error" for f in d["findings"])
    (note,) = [f for f in d["findings"] if f["rule"] == "GC000"]
    assert "merged records only" in note["message"] and note["severity"] == "note"
    # the folder commands refuse --history on it (one line, exit 2)
    for rel, text in good_files().items():
        (folder / rel).write_text(text)
    assert main(["check", str(folder), "--history", "--no-audit"]) == 2
    assert "merged records only" in capsys.readouterr().err
