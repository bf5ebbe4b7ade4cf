"""The two verdicts (rules, paperwork), the headline, the order of findings and GitHub truncation."""

from __future__ import annotations

import json

import pytest

from golfcheck.findings import Finding, Paperwork, Report, Severity, Verdict, fails, sort_key, verdict_line
from golfcheck.formatters import render, summary
from golfcheck.rules import all_rules, get_rule

E, W, N = Severity.ERROR, Severity.WARNING, Severity.NOTE


def f(rule, sev, line=1, path="train_gpt.py", **kw):
    return Finding(rule, sev, path, line, 0, f"{rule} at {line}", **kw)


@pytest.mark.parametrize("findings,rule,paper,head", [
    ([], "CLEAN", "COMPLETE", "CLEAN"),
    ([f("GC101", E)], "ILLEGAL", "COMPLETE", "ILLEGAL"),
    ([f("GC604", E)], "CLEAN", "INCOMPLETE", "INCOMPLETE"),          # paperwork never makes ILLEGAL
    ([f("GC604", E), f("GC101", E)], "ILLEGAL", "INCOMPLETE", "ILLEGAL"),
    ([f("GC604", E), f("GC106", W)], "HOLD", "INCOMPLETE", "INCOMPLETE"),  # a certain blocker before a review
    ([f("GC602", W)], "CLEAN", "COMPLETE", "CLEAN"),                 # paperwork warnings do not block
    ([f("GC106", W), f("GC602", W)], "HOLD", "COMPLETE", "HOLD"),
    ([f("GC101", E, suppressed=True)], "CLEAN", "COMPLETE", "CLEAN"),
    ([f("GC501", E, kind="paperwork")], "CLEAN", "INCOMPLETE", "INCOMPLETE"),  # per-finding kind wins
    ([f("GC000", W)], "HOLD", "COMPLETE", "HOLD"),                   # ids outside the catalogue are rule findings
])
def test_verdict_mapping(findings, rule, paper, head):
    r = Report(findings=findings)
    assert (r.rule_verdict.value, r.paperwork_verdict.value, r.verdict.value) == (rule, paper, head)
    assert r.verdicts() == {"verdict": head, "rule_verdict": rule, "paperwork_verdict": paper}


def test_audit_reports_leave_paperwork_unchecked():
    r = Report(findings=[f("GC106", W)], paperwork_checked=False)
    assert r.paperwork_verdict is None and r.verdict is Verdict.HOLD
    assert r.to_dict()["paperwork_verdict"] is None
    assert "paperwork not checked" in verdict_line(r)


def test_exit_codes_cover_both_kinds():
    paper_error = [f("GC604", E)]
    assert fails(paper_error, "error") and not fails(paper_error, "never")
    assert not fails([f("GC602", W)], "error") and fails([f("GC602", W)], "warning")


def test_catalogue_kinds_and_scopes():
    kinds = {r.id: r.kind for r in all_rules()}
    assert {i for i, k in kinds.items() if k == "paperwork"} == {"GC507", "GC508", "GC602", "GC603", "GC604", "GC605"}
    assert get_rule("GC601").kind == "rule"  # a subset of the validation split breaks the metric's definition
    assert {r.id for r in all_rules() if r.scope == "folder"} == {
        "GC501", "GC507", "GC508", "GC601", "GC602", "GC603", "GC604", "GC605"}
    with pytest.raises(ValueError):
        Finding("GC101", E, "a", 1, 0, "m", kind="bogus")


def mixed():
    return Report(findings=[
        f("GC604", E, 2, "submission.json"), f("GC906", N, 1), f("GC201", W, 9), f("GC101", E, 40),
        f("GC602", W, 1, "a.log"), f("GC110", E, 3), f("GC003", W, 5),
    ])


def test_every_format_orders_errors_first_then_rules_before_paperwork_then_family():
    expected = ["GC101", "GC110", "GC604", "GC003", "GC201", "GC602", "GC906"]
    r = mixed()
    assert [x.rule for x in sorted(r.findings, key=sort_key)] == expected
    assert [line.split(": ")[1].split()[0] for line in render(r, "text").splitlines()] == expected
    assert [x["rule"] for x in json.loads(render(r, "json"))["findings"]] == expected
    assert [x["ruleId"] for x in json.loads(render(r, "sarif"))["runs"][0]["results"]] == expected
    gh = [line for line in render(r, "github").splitlines() if "file=" in line]
    assert [line.split("(")[1].split(")")[0].split("%2C")[0] for line in gh] == expected
    assert "[error, paperwork]" in render(r, "text")


def test_sarif_carries_both_verdicts_and_each_kind():
    doc = json.loads(render(mixed(), "sarif"))
    run = doc["runs"][0]
    assert run["properties"] == {"verdict": "ILLEGAL", "rule_verdict": "ILLEGAL", "paperwork_verdict": "INCOMPLETE"}
    kinds = {x["ruleId"]: x["properties"]["kind"] for x in run["results"]}
    assert kinds["GC604"] == "paperwork" and kinds["GC101"] == "rule"


def test_github_truncates_per_level_with_a_count_and_keeps_rule_errors():
    # 12 paperwork errors listed before 2 rule errors by path would hide the rule errors (PR #1376)
    findings = [f("GC604", E, i, "submission.json") for i in range(1, 13)]
    findings += [f("GC201", E, 100), f("GC105", E, 200)] + [f("GC906", N, i) for i in range(1, 15)]
    out = render(Report(findings=findings), "github").splitlines()
    errors = [x for x in out if x.startswith("::error")]
    assert len(errors) == 10 and "GC105" in errors[0] and "GC201" in errors[1]
    notices = [x for x in out if x.startswith("::notice")]
    assert len(notices) == 10  # nine findings and the closing count
    assert out[-1].startswith("::notice title=golfcheck::golfcheck: verdict ILLEGAL (rules ILLEGAL, paperwork INCOMPLETE)")
    assert "9 more finding(s) not shown" in out[-1]  # 4 paperwork errors and 5 notes left out


def test_text_summary_names_the_paperwork_share():
    r = mixed()
    r.files = ["train_gpt.py"]
    line = summary(r)
    assert "3 error(s) (1 paperwork), 3 warning(s) (1 paperwork), 1 note(s)" in line
    assert line.endswith("verdict ILLEGAL (rules ILLEGAL, paperwork INCOMPLETE)")
    assert Paperwork.INCOMPLETE.value == "INCOMPLETE"
