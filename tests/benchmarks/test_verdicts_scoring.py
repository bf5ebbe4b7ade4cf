"""The verdict benchmark's scoring (benchmarks/verdicts/scoring.py) on fake golfcheck reports, its
manifest, and run.py's plumbing on a throwaway git repository. The benchmark itself is not a test."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "benchmarks" / "verdicts"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"verdicts_{name}", BENCH / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


S = _load("scoring")
SHA = "a" * 40
FOLDER = "/tmp/x/records/track_10min_16mb/2026-01-01_Case"


def finding(rule, severity="error", path="train_gpt.py", line=1, **extra):
    return {"rule": rule, "severity": severity, "path": f"{FOLDER}/{path}", "line": line, "column": 1,
            "message": f"{rule} says so", **extra}


def case(cid="c", label="illegal", rules=("GC101",), lines=("train_gpt.py:113",)):
    return S.Case(cid, SHA, "records/track_10min_16mb/2026-01-01_Case", label, tuple(rules),
                  tuple(S.parse_cited(x) for x in lines), "reason", pr=1)


# -- rule verdict: paperwork never makes a case ILLEGAL ------------------------------------------

def test_paperwork_errors_leave_the_rule_verdict_clean():
    report = {"verdict": "ILLEGAL", "findings": [finding("GC604"), finding("GC602"), finding("GC507"),
                                                finding("GC508"), finding("GC901", "note")]}
    assert S.rule_verdict(report) == "CLEAN"


def test_rule_verdict_from_findings_when_the_report_has_none():
    assert S.rule_verdict({"findings": [finding("GC604"), finding("GC203", "warning")]}) == "HOLD"
    assert S.rule_verdict({"findings": [finding("GC203", "warning"), finding("GC002", "error")]}) == "ILLEGAL"
    # a suppression golfcheck obeyed is not a finding
    assert S.rule_verdict({"findings": [finding("GC101", suppressed=True)]}) == "CLEAN"


def test_kind_and_rule_verdict_fields_win_over_the_id_fallback():
    report = {"findings": [finding("GC504", kind="paperwork"), finding("GC601", kind="rule", severity="warning")]}
    assert S.rule_verdict(report) == "HOLD"
    assert S.rule_verdict({"rule_verdict": "illegal", "findings": []}) == "ILLEGAL"


# -- judging one case ----------------------------------------------------------------------------

def test_caught_with_line_within_three_lines_of_a_cited_line():
    r = S.judge(case(), {"findings": [finding("GC101", line=115), finding("GC604")]}, FOLDER)
    assert (r.outcome, r.caught, r.line_ok) == ("caught", ("ngram",), True)
    assert r.culprits == []


def test_caught_but_line_elsewhere_is_reported_as_a_line_miss():
    r = S.judge(case(), {"findings": [finding("GC108", line=117)]}, FOLDER)  # same family, 4 lines off
    assert r.caught == ("ngram",) and not r.line_ok
    assert r.culprits[0].startswith("GC108 error train_gpt.py:117")


def test_payload_lines_match_only_payload_findings():
    c = case(rules=("GC105",), lines=("train_gpt.py:payload:400",))
    plain = S.judge(c, {"findings": [finding("GC105", line=400)]}, FOLDER)
    payload = S.judge(c, {"findings": [finding("GC105", line=401, in_payload=True)]}, FOLDER)
    assert not plain.line_ok and payload.line_ok


def test_a_warning_from_the_family_is_a_miss_and_names_the_finding():
    r = S.judge(case(rules=("GC105",)), {"findings": [finding("GC106", "warning", line=400, in_payload=True)]},
                FOLDER)
    assert r.outcome == "missed" and r.verdict == "HOLD" and r.family_warned
    assert r.culprits == ["GC106 warning train_gpt.py:payload:400 GC106 says so"]


def test_an_error_from_another_family_is_the_wrong_family():
    r = S.judge(case(rules=("GC201",)), {"findings": [finding("GC204", line=10)]}, FOLDER)
    assert r.outcome == "wrong-family" and r.verdict == "ILLEGAL" and r.caught == ()


def test_clean_and_hold_outcomes_name_what_caused_them():
    clean = case(label="clean", rules=(), lines=())
    r = S.judge(clean, {"findings": [finding("GC504", "warning", path="train.log", line=440), finding("GC602")]},
                FOLDER)
    assert r.outcome == "false-hold" and r.culprits == ["GC504 warning train.log:440 GC504 says so"]
    r = S.judge(clean, {"findings": [finding("GC303", line=9)]}, FOLDER)
    assert r.outcome == "false-illegal"
    hold = case(label="hold", rules=("GC203",), lines=("train_gpt.py:2754",))
    assert S.judge(hold, {"findings": [finding("GC203", "warning", line=2755)]}, FOLDER).outcome == "agree"
    assert S.judge(hold, {"findings": []}, FOLDER).outcome == "under"
    assert S.judge(hold, {"findings": [finding("GC203", line=2755)]}, FOLDER).outcome == "over"


# -- figures over several cases ------------------------------------------------------------------

def test_summary_figures():
    results = [
        S.judge(case("a"), {"findings": [finding("GC101", line=113)]}, FOLDER),
        S.judge(case("b", rules=("GC104", "GC101")), {"findings": [finding("GC104", line=500)]}, FOLDER),
        S.judge(case("c", rules=("GC105",)), {"findings": [finding("GC106", "warning")]}, FOLDER),
        S.judge(case("d", rules=("GC201",)), {"findings": [finding("GC002")]}, FOLDER),
        S.judge(case("e", "clean", (), ()), {"findings": []}, FOLDER),
        S.judge(case("f", "clean", (), ()), {"findings": [finding("GC504", "warning")]}, FOLDER),
        S.judge(case("g", "clean", (), ()), {"findings": [finding("GC301")]}, FOLDER),
        S.judge(case("h", "hold", ("GC203",), ("train_gpt.py:1",)), {"findings": [finding("GC203", "warning")]},
                FOLDER),
        S.failed(case("i"), "golfcheck exited 2: boom"),
    ]
    fig = S.summarise(results)
    ill = fig["illegal"]
    assert (ill["right_family"]["k"], ill["right_family"]["n"]) == (2, 4)
    assert (ill["any_error"]["k"], ill["any_error"]["n"]) == (3, 4)
    assert {f: (x["k"], x["n"]) for f, x in ill["families"].items()} == {
        "ngram": (1, 2), "oracle-rescoring": (1, 1), "slot": (0, 1), "ttt": (0, 1)}
    assert (ill["line_accuracy"]["k"], ill["line_accuracy"]["n"]) == (1, 2)
    assert (fig["clean"]["false_illegal"]["k"], fig["clean"]["hold"]["k"], fig["clean"]["hold"]["n"]) == (1, 1, 3)
    assert (fig["hold"]["agree"]["k"], fig["hold"]["agree"]["n"]) == (1, 1)
    assert fig["not_run"] == [{"id": "i", "error": "golfcheck exited 2: boom"}]
    text = S.format_figures(fig)
    assert "false-illegal" in text and "GC301 error train_gpt.py:1" in text and "not run: 1 (i)" in text


# -- the manifest ----------------------------------------------------------------------------------

@pytest.mark.parametrize("patch, problem", [
    ({"pr": None, "main": None}, "exactly one source"),
    ({"commit": "abc"}, "40-hex"),
    ({"folder": "records/../x"}, "under records/"),
    ({"label": "maybe"}, "label must be"),
    ({"lines": []}, "cited lines"),
    ({"lines": ["train_gpt.py"]}, "not 'file:line'"),
    ({"rules": ["101"]}, "GCnnn"),
])
def test_bad_cases_are_refused_with_the_case_named(patch, problem):
    t = {"id": "x1", "pr": 5, "commit": SHA, "folder": "records/t/f", "label": "hold", "rules": ["GC203"],
         "lines": ["train_gpt.py:3"], "reason": "r"}
    t.update(patch)
    t = {k: v for k, v in t.items() if v is not None}
    with pytest.raises(S.ManifestError, match=problem) as err:
        S.parse_cases({"case": [t]}, "cases.toml")
    assert "cases.toml: case 'x1'" in str(err.value)


def test_the_shipped_manifest_is_valid_and_covers_the_families():
    cases = S.load_cases(BENCH / "cases.toml")
    labels = [c.label for c in cases]
    assert len(cases) >= 60 and labels.count("clean") >= 25 and labels.count("hold") >= 1
    fams = {f for c in cases if c.label == "illegal" for f in c.families}
    assert {"ngram", "oracle-rescoring", "slot", "normalisation", "smeargate", "ttt", "val-warmup-calibration",
            "data-access", "byte-accounting", "budgets"} <= fams
    for c in cases:
        assert c.main == (c.pr is None)
        assert all(not x.file.startswith("/") for x in c.lines), c.id


# -- run.py on a throwaway repository ---------------------------------------------------------------

def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


def test_run_exports_the_folder_and_scores_a_fake_golfcheck(tmp_path, capsys):
    repo = tmp_path / "repo"
    folder = "records/track_10min_16mb/2026-01-01_Case"
    (repo / folder).mkdir(parents=True)
    (repo / folder / "train_gpt.py").write_text("print('never run')\n")
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "case")
    sha = _git(repo, "rev-parse", "HEAD").strip()
    manifest = tmp_path / "cases.toml"
    manifest.write_text(
        f'[[case]]\nid = "one"\npr = 1\ncommit = "{sha}"\nfolder = "{folder}"\nlabel = "illegal"\n'
        f'rules = ["GC101"]\nlines = ["train_gpt.py:1"]\nreason = "r"\n'
        f'[[case]]\nid = "two"\nmain = true\ncommit = "{sha}"\nfolder = "records/missing"\nlabel = "clean"\n'
        f'reason = "r"\n')
    fake = tmp_path / "fake_golfcheck.py"  # answers like `golfcheck check FOLDER --format json`
    fake.write_text(
        "import json, sys, pathlib\n"
        "folder = pathlib.Path(sys.argv[2])\n"
        "assert (folder / 'train_gpt.py').is_file() and folder.parent.name == 'track_10min_16mb'\n"
        "print(json.dumps({'verdict': 'ILLEGAL', 'findings': [{'rule': 'GC101', 'severity': 'error',\n"
        "    'path': str(folder / 'train_gpt.py'), 'line': 2, 'message': 'target in key'}]}))\n"
        "sys.exit(1)\n")
    out_json = tmp_path / "fig.json"
    run = _load("run")
    rc = run.main([str(repo), "--manifest", str(manifest), "--golfcheck", f"{sys.executable} {fake}",
                   "--json", str(out_json)])
    assert rc == 0
    fig = json.loads(out_json.read_text())
    assert fig["illegal"]["right_family"]["k"] == 1 and fig["illegal"]["line_accuracy"]["k"] == 1
    assert fig["not_run"][0]["id"] == "two" and "records/missing not found" in fig["not_run"][0]["error"]
    assert "caught by the labelled family" in capsys.readouterr().out


def test_run_refuses_a_missing_mirror_in_one_line(tmp_path, capsys):
    run = _load("run")
    assert run.main([str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not a git repository" in err[0]
