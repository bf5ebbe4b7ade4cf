"""Engine policy shared by every rule: suppressions, select/ignore, a crashing rule, de-duplication."""

from __future__ import annotations

import pytest

from engine_helpers import INLINE_RULES, Exploding, audit_folder, write_tree
from golfcheck.findings import Severity, fails, verdict

CODE = "x = 1\ndanger()  # golfcheck: ignore[GC990] reviewed: only on train data\n# golfcheck: ignore[GC991]\nrisky()\n"


def test_suppressions_are_reported_not_obeyed_by_default(tmp_path, inline_catalogue):
    write_tree(tmp_path, {"train_gpt.py": CODE})
    _, findings = audit_folder(tmp_path)
    by_rule = {}
    for f in findings:
        by_rule.setdefault(f.rule, []).append(f)
    assert [f.suppressed for f in by_rule["GC990"]] == [False]
    assert [f.suppressed for f in by_rule["GC991"]] == [False]
    gc003 = sorted(by_rule["GC003"], key=lambda f: f.line)
    assert [(f.line, f.severity) for f in gc003] == [(2, Severity.WARNING), (3, Severity.WARNING)]
    assert "reported, not obeyed" in gc003[0].message and "reviewed: only on train data" in gc003[0].message
    assert verdict(findings).value == "ILLEGAL"


def test_suppressions_obeyed_with_respect_suppressions(tmp_path, inline_catalogue):
    write_tree(tmp_path, {"train_gpt.py": CODE})
    _, findings = audit_folder(tmp_path, respect_suppressions=True)
    assert all(f.suppressed for f in findings if f.rule in ("GC990", "GC991"))  # own-line applies to next line
    assert {f.severity for f in findings if f.rule == "GC003"} == {Severity.NOTE}
    assert not fails(findings, "warning")
    assert verdict(findings).value == "CLEAN"


@pytest.mark.parametrize("respect", [False, True])
def test_a_suppression_of_an_unknown_id_says_it_suppresses_nothing(tmp_path, inline_catalogue, respect):
    write_tree(tmp_path, {"train_gpt.py": "danger()  # golfcheck: ignore[GC777] reviewed\n"})
    _, findings = audit_folder(tmp_path, respect_suppressions=respect)
    assert [f.suppressed for f in findings if f.rule == "GC990"] == [False]
    [gc003] = [f for f in findings if f.rule == "GC003"]
    assert gc003.severity is Severity.WARNING
    assert "suppresses nothing" in gc003.message and "GC777 is not a golfcheck rule id" in gc003.message
    assert "obeyed" not in gc003.message.replace("not obeyed", "")


def test_a_suppression_mixing_known_and_unknown_ids(tmp_path, inline_catalogue):
    write_tree(tmp_path, {"train_gpt.py": "danger()  # golfcheck: ignore[GC990, GC99O]\n"})
    _, findings = audit_folder(tmp_path, respect_suppressions=True)
    assert [f.suppressed for f in findings if f.rule == "GC990"] == [True]
    [gc003] = [f for f in findings if f.rule == "GC003"]
    assert gc003.severity is Severity.WARNING  # a reviewer should see the typo
    assert "GC990 obeyed" in gc003.message and "GC99O is not a golfcheck rule id (did you mean GC990?)" in gc003.message


def test_suppression_only_for_named_codes(tmp_path):
    write_tree(tmp_path, {"train_gpt.py": "danger()  # golfcheck: ignore[GC991]\n"})
    _, findings = audit_folder(tmp_path, respect_suppressions=True)
    assert [f.suppressed for f in findings if f.rule == "GC990"] == [False]


def test_blanket_suppression_is_rejected(tmp_path):
    write_tree(tmp_path, {"train_gpt.py": "danger()  # golfcheck: ignore\n"})
    _, findings = audit_folder(tmp_path, respect_suppressions=True)
    assert [f.suppressed for f in findings if f.rule == "GC990"] == [False]
    gc003 = [f for f in findings if f.rule == "GC003"]
    assert gc003 and gc003[0].severity is Severity.WARNING and "blanket" in gc003[0].message


def test_suppression_text_inside_a_string_is_not_a_suppression(tmp_path):
    write_tree(tmp_path, {"train_gpt.py": 's = "# golfcheck: ignore[GC990]"\ndanger()\n'})
    _, findings = audit_folder(tmp_path, respect_suppressions=True)
    assert not [f for f in findings if f.rule == "GC003"]


@pytest.mark.parametrize("select, ignore, expected", [
    ((), (), {"GC990", "GC991"}),
    (("GC99",), (), {"GC990", "GC991"}),
    (("GC990",), (), {"GC990"}),
    (("gc991",), (), {"GC991"}),
    ((), ("GC99",), set()),
    (("GC9",), ("GC991",), {"GC990"}),
])
def test_select_and_ignore_by_prefix(tmp_path, select, ignore, expected):
    write_tree(tmp_path, {"train_gpt.py": "danger()\nrisky()\n"})
    _, findings = audit_folder(tmp_path, select=select, ignore=ignore)
    assert {f.rule for f in findings} == expected


def test_a_crashing_rule_becomes_one_visible_internal_error(tmp_path):
    write_tree(tmp_path, {"train_gpt.py": "danger()\n"})
    _, findings = audit_folder(tmp_path, rules=(*INLINE_RULES, Exploding), ignore=("GC0",))
    crash = [f for f in findings if f.rule == "GC000"]  # an internal error: never selected away
    assert len(crash) == 1 and not [f for f in findings if f.rule == "GC002"]
    assert "GC992" in crash[0].message and "ZeroDivisionError: boom" in crash[0].message
    assert "engine_helpers.py:" in crash[0].message  # where it failed
    assert "\n" not in crash[0].message
    _, findings = audit_folder(tmp_path, rules=(*INLINE_RULES, Exploding))
    assert [f.rule for f in findings if f.rule == "GC990"] == ["GC990"]  # the other rules still report


def test_findings_are_deduplicated(tmp_path):
    # the same file reached as a unit root and through a sibling exec is analysed once
    write_tree(tmp_path, {"train_gpt.py": "exec(open('h.py').read())\n", "h.py": "danger()\n"})
    _, findings = audit_folder(tmp_path)
    assert [(f.rule, f.path) for f in findings] == [("GC990", "h.py")]


def test_identical_folders_are_analysed_once(tmp_path, monkeypatch, inline_catalogue):
    from golfcheck import api

    for name in ("a", "b", "c"):
        write_tree(tmp_path, {f"{name}/train_gpt.py": "x = 1\ndanger()\n", f"{name}/README.md": "run it\n"})
    write_tree(tmp_path, {"c/README.md": "a different README\n"})
    calls = []
    real = api._run_unit  # runs in this process (the audit itself runs in a forked child)
    monkeypatch.setattr(api, "_run_unit", lambda args: calls.append(args[0].root.name) or real(args))
    report = api.audit_paths([tmp_path], jobs=1)
    assert sorted(calls) == ["a", "c"]
    hits = sorted((f.path, f.line) for f in report.findings if f.rule == "GC990")
    assert hits == [(f"{tmp_path}/{n}/train_gpt.py", 2) for n in ("a", "b", "c")]
    assert sorted(report.files) == [f"{tmp_path}/{n}/train_gpt.py" for n in ("a", "b", "c")]
