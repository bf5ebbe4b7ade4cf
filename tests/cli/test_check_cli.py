import json
from pathlib import Path

import pytest

from golfcheck.checks.examples import TRAIN_GPT, good_files
from golfcheck.cli import main





def test_check_json_has_every_section(make_folder, capsys):
    root = make_folder({"train_gpt.py": TRAIN_GPT, **good_files()})
    rc = main(["check", str(root), "--format", "json"])
    d = json.loads(capsys.readouterr().out)
    assert {"verdict", "findings", "size", "logs", "validate", "audit", "wallclock", "metadata"} <= set(d)
    assert d["verdict"] == "CLEAN" and rc == 0, d["findings"]
    assert d["validate"]["n"] == 3 and d["size"]["total_bytes"] == 15_900_000


def test_check_text_report(make_folder, capsys):
    root = make_folder({"train_gpt.py": TRAIN_GPT, **good_files()})
    main(["check", str(root)])
    out = capsys.readouterr().out
    for head in ("== size", "== logs", "== wallclock", "== validate", "verdict CLEAN (rules CLEAN, paperwork COMPLETE)"):
        assert head in out


def test_check_without_folder_uses_bundled_example_or_says_why(capsys):
    rc = main(["check", "--format", "json", "--no-audit"])
    captured = capsys.readouterr()
    if rc == 2:
        assert "bundled example" in captured.err
    else:
        assert "verdict" in json.loads(captured.out)


def test_check_on_an_over_cap_record(capsys, shared):
    rc = main(["check", str(shared("corpus/records/track_non_record_16mb/2026-03-23_DGAttention_DavidGao")),
               "--format", "json", "--no-audit"])
    d = json.loads(capsys.readouterr().out)
    assert any(f["rule"] == "GC501" for f in d["findings"])
    assert d["size"]["total_bytes"] == 16_638_468 and rc in (0, 1)


def test_check_without_folder_inside_a_submission_checks_it(make_folder, monkeypatch, capsys):
    from golfcheck.checks.examples import TRAIN_GPT, good_files

    files = good_files()
    files["train_seed42.log"] = files["train_seed42.log"].replace("val_bpb:1.00010000", "val_bpb:1.20010000")
    root = make_folder({**files, "train_gpt.py": TRAIN_GPT})
    monkeypatch.chdir(root)
    assert main(["check", "--no-audit"]) == 1  # its own findings, not the bundled example's CLEAN
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith("golfcheck check .") and "checking the current folder (it holds submission.json)" in first
    main(["check", "--no-audit", "--format", "json"])
    d = json.loads(capsys.readouterr().out)
    assert d["target"]["path"] == "." and any(f["rule"] == "GC603" for f in d["findings"])


def test_check_without_folder_elsewhere_says_it_checks_the_example(tmp_path, monkeypatch, capsys):
    (tmp_path / "README.md").write_text("# a project, not a submission\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    rc = main(["check", "--no-audit"])
    out = capsys.readouterr()
    if rc != 2:  # the example is installed
        assert "checking the bundled example" in out.out.splitlines()[0]
