"""SARIF against the official 2.1.0 schema, on real record folders: repository-relative URIs however
golfcheck was called, fingerprints that survive unrelated edits, rule help and internal errors."""

from __future__ import annotations

import json
import shutil
from importlib import resources
from pathlib import Path

import pytest
from jsonschema import Draft4Validator

from golfcheck.cli import main
from golfcheck.findings import Finding, Report, Severity
from golfcheck.formatters import render

ROOT = Path(__file__).resolve().parents[2]
# The OASIS SARIF 2.1.0 schema (errata 01), unmodified: see tests/fixtures/README.md for its source.
SCHEMA = json.loads((ROOT / "tests" / "fixtures" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
CORPUS = (ROOT / ".." / "shared" / "corpus" / "records").resolve()
SMEARGATE = "track_10min_16mb/2026-04-16_SmearGate_AttentionOutputGate_ScoreFirstTTT"


def valid(doc: dict) -> dict:
    Draft4Validator.check_schema(SCHEMA)
    errors = sorted(Draft4Validator(SCHEMA).iter_errors(doc), key=lambda e: list(e.absolute_path))
    assert not errors, f"{list(errors[0].absolute_path)}: {errors[0].message}"
    run = doc["runs"][0]
    assert run["tool"]["driver"]["version"]
    for res in run["results"]:
        loc = res["locations"][0]["physicalLocation"]["artifactLocation"]
        # a relative reference with its base, or an absolute file URI; never a bare "/tmp/..." path
        assert (loc.get("uriBaseId") == "%SRCROOT%" and not loc["uri"].startswith(("/", "file:"))) or \
            loc["uri"].startswith("file:///"), loc
    return run


def sarif_of(capsys, *args) -> tuple[int, dict]:
    code = main(list(args))
    out = capsys.readouterr().out
    return code, json.loads(out)


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A repository checkout holding the bundled example as a record folder; cwd is a subfolder."""
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    example = Path(str(resources.files("golfcheck.data").joinpath("example")))
    folder = root / "records" / "track_non_record_16mb" / "2026-05-01_Example"
    shutil.copytree(example, folder)
    (root / "docs").mkdir()
    monkeypatch.chdir(root / "docs")
    return root, folder


def uris(run) -> set[str]:
    return {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]}


def test_real_record_folder_audit_and_check_validate_with_repository_relative_uris(repo, capsys):
    root, folder = repo
    rel = "records/track_non_record_16mb/2026-05-01_Example"
    for args in (("audit", str(folder)), ("audit", f"../{rel}"), ("check", str(folder))):
        code, doc = sarif_of(capsys, *args, "--format", "sarif")
        run = valid(doc)
        assert code == 0 and run["results"], args
        assert all(u.startswith(rel + "/") for u in uris(run)), (args, uris(run))
        assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == root.as_uri() + "/"
        assert run["invocations"] == [{"executionSuccessful": True}]


def test_merged_record_from_the_corpus_validates(capsys, monkeypatch):
    assert CORPUS.is_dir(), f"the shared corpus of merged records is missing: {CORPUS}"
    monkeypatch.chdir(CORPUS)
    code, doc = sarif_of(capsys, "check", SMEARGATE, "--format", "sarif")
    run = valid(doc)
    assert run["results"] and all(u.startswith(SMEARGATE + "/") for u in uris(run))
    assert run["properties"]["verdict"] in ("CLEAN", "HOLD", "ILLEGAL", "INCOMPLETE")
    # outside the repository (or folder) golfcheck runs in: absolute file URIs
    monkeypatch.chdir(CORPUS / "track_non_record_16mb")
    _, doc = sarif_of(capsys, "check", str(CORPUS / SMEARGATE), "--format", "sarif")
    assert all(u.startswith("file:///") for u in uris(valid(doc)))


def fingerprints(run) -> dict[str, tuple[str, int]]:
    return {r["partialFingerprints"]["golfcheck/v2"]: (r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"])
            for r in run["results"]}


def test_fingerprints_survive_a_comment_line_inserted_at_the_top(repo, capsys):
    _, folder = repo
    code = folder / "train_gpt.py"
    _, doc = sarif_of(capsys, "audit", str(folder), "--format", "sarif")
    before = fingerprints(valid(doc))
    code.write_text("# a comment added at the top\n" + code.read_text(encoding="utf-8"), encoding="utf-8")
    _, doc = sarif_of(capsys, "audit", str(folder), "--format", "sarif")
    after = fingerprints(valid(doc))
    assert before and set(before) == set(after)
    assert all(after[k][1] == before[k][1] + 1 for k in before)  # the lines moved, the fingerprints did not


def test_equal_constructs_get_distinct_fingerprints_and_edits_elsewhere_keep_them(tmp_path, capsys, inline_catalogue,
                                                                                 monkeypatch):
    monkeypatch.chdir(tmp_path)
    src = "def a():\n    danger()\n    danger()\n\ndef b():\n    danger()\n"
    (tmp_path / "train_gpt.py").write_text(src)
    _, doc = sarif_of(capsys, "audit", "train_gpt.py", "--format", "sarif")
    first = fingerprints(valid(doc))
    assert len(first) == 3  # the two calls in a() are told apart by order, b()'s by its function
    (tmp_path / "train_gpt.py").write_text("import os\n\n" + src.replace("def b():", "def b():\n    x = 1"))
    _, doc = sarif_of(capsys, "audit", "train_gpt.py", "--format", "sarif")
    assert set(fingerprints(valid(doc))) == set(first)
    (tmp_path / "train_gpt.py").write_text(src.replace("def b():\n    danger()", "def b():\n    danger(1)"))
    _, doc = sarif_of(capsys, "audit", "train_gpt.py", "--format", "sarif")
    assert len(set(fingerprints(valid(doc))) & set(first)) == 2  # the changed line is a new alert


def test_rule_help_is_the_rules_own_documentation(monkeypatch):
    from golfcheck import rule

    report = Report(findings=[Finding("GC101", Severity.ERROR, "train_gpt.py", 3, 0, "x")])
    doc = json.loads(render(report, "sarif"))
    driver = valid(doc)["tool"]["driver"]
    gc101 = next(d for d in driver["rules"] if d["id"] == "GC101")
    assert gc101["help"]["markdown"].startswith("### GC101 target-keyed-ngram-lookup")
    assert any("github.com/openai/parameter-golf" in u for u in gc101["properties"]["rulings"])
    # no invented URLs: the project links appear only once the distribution declares them
    assert "helpUri" not in gc101 and "informationUri" not in driver
    text = json.dumps(doc)
    assert "golfcheck/golfcheck" not in text
    monkeypatch.setattr(rule, "project_urls", lambda: {"Homepage": "https://example.org/golfcheck",
                                                       "Rules": "https://example.org/golfcheck/docs/rules.md"})
    from golfcheck.formatters import sarif

    monkeypatch.setattr(sarif, "project_urls", rule.project_urls)
    driver = valid(json.loads(render(report, "sarif")))["tool"]["driver"]
    assert driver["informationUri"] == "https://example.org/golfcheck"
    docs = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    for d in driver["rules"]:
        assert d["helpUri"] == f"https://example.org/golfcheck/docs/rules.md#{d['id'].lower()}"
        assert f'<a id="{d["id"].lower()}"></a>' in docs  # the anchor exists in docs/rules.md
        assert f"]({d['helpUri'].split('rules.md')[1]})" in docs  # and the catalogue table links to it


def test_internal_errors_are_notifications_and_mark_the_run_unsuccessful():
    report = Report(findings=[Finding("GC000", Severity.WARNING, "t/train_gpt.py", 1, 0, "internal error in rule GC992"),
                              Finding("GC101", Severity.ERROR, "t/train_gpt.py", 3, 0, "x")])
    run = valid(json.loads(render(report, "sarif")))
    assert [r["ruleId"] for r in run["results"]] == ["GC101"]
    [inv] = run["invocations"]
    assert inv["executionSuccessful"] is False
    assert inv["toolExecutionNotifications"][0]["message"]["text"] == "internal error in rule GC992"


def test_github_annotations_name_repository_paths_with_end_positions(repo, capsys, inline_catalogue):
    root, folder = repo
    (folder / "train_gpt.py").write_text("x = 1\ndanger(\n    1)\nrisky()\n")
    code = main(["audit", str(folder / "train_gpt.py"), "--format", "github"])
    out = capsys.readouterr().out.splitlines()
    assert code == 1
    rel = "records/track_non_record_16mb/2026-05-01_Example/train_gpt.py"
    assert out[0] == f"::error title=golfcheck (GC990),file={rel},line=2,col=1,endLine=3::GC990 danger() is called"
    assert out[1] == f"::warning title=golfcheck (GC991),file={rel},line=4,col=1,endLine=4,endColumn=8::GC991 risky() is called"
