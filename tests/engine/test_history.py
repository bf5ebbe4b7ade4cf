"""--history: errors on records dated before a rule's ruling become warnings naming the precedent."""

from golfcheck.findings import Finding, Severity
from golfcheck.history import apply_history, record_date
from golfcheck.rules import get_rule


def _f(rule: str, sev=Severity.ERROR) -> Finding:
    return Finding(rule, sev, "train_gpt.py", 3, 0, "msg")


def test_record_date_from_folder_name_then_json(tmp_path):
    assert record_date(tmp_path / "2026-04-16_SmearGate") == "2026-04-16"
    assert record_date(tmp_path / "MyRun", {"date": "2026-03-20T12:00:00Z"}) == "2026-03-20"
    assert record_date(tmp_path / "MyRun", {}) is None


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
        folder = tmp_path / f"{history}" / "2026-03-19_OldRecord"
        for rel, text in example.folder_files().items():
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            (folder / rel).write_text(text)
        code = tuple(sorted(str(p.relative_to(folder)) for p in folder.rglob("*.py")))
        findings, _ = audit_unit(Unit(folder, code, True, ""), Options(select=("GC201",), history=history))
        results[history] = {f.severity for f in findings if f.rule == "GC201"}
    assert Severity.ERROR in results[False]
    assert Severity.WARNING in results[True] and Severity.ERROR not in results[True]
