"""`golfcheck gate` on real temporary git repositories: one clean PR, and each way a PR goes wrong."""

from __future__ import annotations

import json

import pytest

from golfcheck.checks.examples import GOOD_SEEDS, good_files, log, submission_json
from golfcheck.cli import main
from golfcheck.gate import run_gate

TRACK = "records/track_10min_16mb"


def gate(repo, *extra: str) -> int:
    return main(["gate", "--repo", str(repo.root), "--base", repo.base, "--head", "pr", *extra])


def rules_of(result, severity: str = "error") -> set[str]:
    return {f.rule for f in result.report.findings if f.severity.value == severity}


def test_clean_single_folder_passes(repo, capsys):
    folder = repo.add_submission()
    repo.commit()
    result = run_gate(repo.root, repo.base, "pr")
    assert result.folder == folder and result.profile == "record"
    assert not rules_of(result), [f.message for f in result.report.findings]
    assert result.report.verdict.value == "CLEAN"
    # every finding points into the repository, never at the temporary copy
    assert all(f.path.startswith(folder) for f in result.report.findings)
    assert gate(repo) == 0


def test_gate_reads_git_objects_without_checking_out_head(repo):
    repo.add_submission()
    head = repo.commit()
    repo.git("checkout", "-q", "main")  # the work tree no longer holds the new folder
    result = run_gate(repo.root, repo.base, head)
    assert result.folder and not rules_of(result)
    assert not (repo.root / result.folder).exists()


def test_pr_touching_other_files_fails(repo):
    folder = repo.add_submission()
    repo.write("README.md", "# Parameter Golf\n\nleaderboard row added by the PR\n")
    repo.write("train_gpt.py", "print('changed baseline')\n")
    repo.commit()
    result = run_gate(repo.root, repo.base, "pr")
    gc507 = [f for f in result.report.findings if f.rule == "GC507"]
    assert {f.path for f in gc507} == {"README.md", "train_gpt.py"}
    assert all(f.severity.value == "error" for f in gc507)
    assert result.folder == folder  # the submission itself is still checked
    assert gate(repo) == 1


def test_two_folders_fail(repo):
    one = repo.add_submission("2026-05-01_One")
    repo.add_submission("2026-05-02_Two", track="records/track_non_record_16mb")
    repo.symlink(f"{one}/data", "/data/fineweb")
    repo.commit()
    result = run_gate(repo.root, repo.base, "pr")
    assert result.folder is None
    msgs = [f.message for f in result.report.findings if f.rule == "GC507"]
    assert len(msgs) == 2 and all("adds 2 submission folders" in m for m in msgs)
    # links are refused even where no folder is checked
    assert [f.path for f in result.report.findings if f.rule == "GC508"] == [f"{one}/data"]
    assert gate(repo) == 1


def test_changing_a_merged_folder_fails(repo):
    repo.write(f"{TRACK}/2026-03-17_Merged/README.md", "# Merged record, edited\n")
    repo.commit()
    result = run_gate(repo.root, repo.base, "pr")
    assert any(f.rule == "GC507" and "already exists on the base branch" in f.message for f in result.report.findings)
    assert gate(repo) == 1


def test_empty_pr_fails(repo):
    repo.git("commit", "-q", "--allow-empty", "-m", "nothing")
    result = run_gate(repo.root, repo.base, "pr")
    assert [f.rule for f in result.report.findings] == ["GC507"]


def test_symlink_out_of_the_folder_is_refused(repo):
    folder = repo.add_submission()
    repo.symlink(f"{folder}/val_data.bin", "../../../data/fineweb_val_000000.bin")
    repo.commit()
    result = run_gate(repo.root, repo.base, "pr")
    hits = [f for f in result.report.findings if f.rule == "GC508"]
    assert len(hits) == 1 and hits[0].path == f"{folder}/val_data.bin"
    assert "symlink" in hits[0].message and "outside the folder" in hits[0].message
    assert hits[0].severity.value == "error"
    copied = {r["path"]: r["copied"] for r in result.info["files"]}
    assert copied[f"{folder}/val_data.bin"] is False
    assert gate(repo) == 1


def test_oversized_and_binary_files_are_refused(repo):
    folder = repo.add_submission()
    repo.write(f"{folder}/blob.txt", b"A" * 5000)
    repo.write(f"{folder}/notes.md", b"# notes\n\x00\x01\x02 hidden")
    repo.commit()
    result = run_gate(repo.root, repo.base, "pr", max_file=4096)
    by_path = {f.path: f for f in result.report.findings if f.rule == "GC508"}
    assert "over the 4,096-byte limit" in by_path[f"{folder}/blob.txt"].message
    assert "binary content" in by_path[f"{folder}/notes.md"].message
    copied = {r["path"]: r["copied"] for r in result.info["files"]}
    assert copied[f"{folder}/blob.txt"] is False
    assert len([f for f in result.report.findings if f.path == f"{folder}/notes.md" and f.rule == "GC508"]) == 1


def test_missing_log_fails(repo):
    files = {k: v for k, v in good_files().items() if not k.endswith(".log")}
    repo.add_submission(files=files)
    repo.commit()
    result = run_gate(repo.root, repo.base, "pr")
    assert any(f.rule == "GC605" and "no train log" in f.message for f in result.report.findings)
    assert gate(repo) == 1


def test_over_cap_artifact_fails(repo):
    total = 16_100_000
    files = {"README.md": "# Record\n", "submission.json": submission_json(GOOD_SEEDS, total=15_900_000)}
    for s, v in GOOD_SEEDS.items():
        files[f"train_seed{s}.log"] = log(s, v, total=total)
    folder = repo.add_submission(files=files)
    repo.commit()
    result = run_gate(repo.root, repo.base, "pr")
    over = [f for f in result.report.findings if f.rule == "GC501" and f.severity.value == "error"]
    assert over and all(f.path.startswith(folder) and f.line > 1 for f in over)
    assert any("16,100,000" in f.message for f in over)
    assert gate(repo) == 1


TRAIN_ON_VAL = '''\
import os

def main(args, model, opt, val_tokens):
    for step in range(args.iterations):
        x = val_tokens[step * 1024:(step + 1) * 1024]  # golfcheck: ignore[GC301] warmup only
        loss = model(x[:-1], x[1:])  # golfcheck: ignore[GC301] warmup only
        loss.backward()  # golfcheck: ignore[GC301] warmup only
        opt.step()
    return model
'''


def test_training_on_val_tokens_fails_and_suppression_is_not_obeyed(repo, capsys):
    from golfcheck.rules import all_rules

    if not any(r.id.startswith(("GC2", "GC3")) for r in all_rules()):
        pytest.skip("no adaptation/data-access rules in the catalogue yet")
    folder = repo.add_submission(code=TRAIN_ON_VAL)
    repo.commit()
    result = run_gate(repo.root, repo.base, "pr")
    illegal = [f for f in result.report.findings if f.rule[:3] in ("GC2", "GC3") and f.severity.value == "error"]
    assert illegal and all(f.path == f"{folder}/train_gpt.py" for f in illegal), result.report.findings
    # every line the rule can fire on carries a suppression: reported (GC003), not obeyed
    assert any(f.line in (5, 6, 7) for f in illegal)
    assert not any(f.suppressed for f in result.report.findings)
    assert len([f for f in result.report.findings if f.rule == "GC003"]) == 3
    assert result.report.verdict.value == "ILLEGAL"
    assert gate(repo, "--format", "github") == 1
    out = capsys.readouterr().out
    assert f"::error title=golfcheck ({illegal[0].rule}),file={folder}/train_gpt.py" in out


def test_non_record_track_accepts_one_seed(repo):
    files = {"README.md": "# Non-record\n",
             "submission.json": submission_json({42: 1.2}, track="non_record_16mb"),
             "train_seed42.log": log(42, 1.2)}
    folder = repo.add_submission(files=files, track="records/track_non_record_16mb")
    repo.commit()
    result = run_gate(repo.root, repo.base, "pr")
    assert result.profile == "non-record" and result.folder == folder
    assert not rules_of(result), [f.message for f in result.report.findings]


def test_outputs_sarif_summary_and_step_summary(repo, tmp_path, monkeypatch, capsys):
    folder = repo.add_submission()
    repo.write("README.md", "# touched\n")
    repo.commit()
    step = tmp_path / "step_summary.md"
    step.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(step))
    sarif, summary = tmp_path / "g.sarif", tmp_path / "summary.md"
    assert gate(repo, "--sarif", str(sarif), "--summary", str(summary), "--format", "json") == 1
    data = json.loads(capsys.readouterr().out)
    # touching a file outside the folder is PR layout: paperwork that fails the gate, never ILLEGAL
    assert data["verdict"] == "INCOMPLETE" and data["gate"]["folder"] == folder
    assert data["rule_verdict"] == "CLEAN" and data["paperwork_verdict"] == "INCOMPLETE"
    assert {"size", "logs", "wallclock", "metadata", "validate"} <= set(data)
    doc = json.loads(sarif.read_text())
    results = doc["runs"][0]["results"]
    assert any(r["ruleId"] == "GC507" for r in results)
    for r in results:
        loc = r["locations"][0]["physicalLocation"]
        assert not loc["artifactLocation"]["uri"].startswith("/")
        assert loc["region"]["startLine"] >= 1 and loc["region"]["startColumn"] >= 1
    rule_ids = {d["id"] for d in doc["runs"][0]["tool"]["driver"]["rules"]}
    assert {"GC507", "GC508"} <= rule_ids
    md = summary.read_text()
    assert "golfcheck gate: 📝 INCOMPLETE" in md and "`GC507`" in md and folder in md
    assert "**CLEAN**" in md and "**INCOMPLETE**" in md and "(paperwork)" in md
    assert step.read_text().startswith("earlier step\n") and md in step.read_text()


def test_fail_on_never_and_warning(repo):
    repo.add_submission(files=good_files({42: 1.2001, 314: 1.2003, 999: 1.2002}))  # worse than SOTA: a warning
    repo.commit()
    result = run_gate(repo.root, repo.base, "pr")
    # a failed significance test is paperwork (the record claim lacks evidence), not a rule breach
    assert result.report.verdict.value == "CLEAN"
    assert result.report.paperwork_verdict.value == "COMPLETE"
    assert any(f.rule == "GC602" and f.severity.value == "warning" and f.is_paperwork for f in result.report.findings)
    assert gate(repo) == 0
    assert gate(repo, "--fail-on", "warning") == 1
    assert gate(repo, "--fail-on", "never") == 0


def test_bad_revision_is_a_usage_error(repo, capsys):
    assert main(["gate", "--repo", str(repo.root), "--base", "no-such-ref", "--head", "pr"]) == 2
    assert "golfcheck:" in capsys.readouterr().err
    assert main(["gate", "--repo", str(repo.root), "--base", "--output=x", "--head", "pr"]) == 2


def test_a_blob_missing_from_a_partial_clone_is_reported_not_a_crash(repo):
    """Seen on a mirror that lists large blobs it does not hold: `git ls-tree -l` prints BAD as the size."""
    import os

    folder = repo.add_submission(files={**good_files(), "final_model.int6.ptz": b"\x28\xb5\x2f\xfd" + os.urandom(4000)})
    repo.commit()
    sha = repo.git("rev-parse", f"pr:{folder}/final_model.int6.ptz")
    (repo.root / ".git" / "objects" / sha[:2] / sha[2:]).unlink()
    result = run_gate(repo.root, repo.base, "pr")
    missing = [f for f in result.report.findings if f.path.endswith("final_model.int6.ptz") and f.rule == "GC002"]
    assert len(missing) == 1 and "is not in this repository" in missing[0].message
    assert missing[0].severity.value == "warning"
    assert gate(repo, "--fail-on", "never") == 0


def test_a_binary_log_is_reported_once(repo):
    """A log with NUL bytes is refused by GC508; the log check does not report the same file again."""
    folder = repo.add_submission(files={**good_files(), "train_seed7.log": b"step:1\x00\x00\x01binary"})
    repo.commit()
    result = run_gate(repo.root, repo.base, "pr")
    on_log = [f.rule for f in result.report.findings if f.path == f"{folder}/train_seed7.log"]
    assert on_log == ["GC508"], on_log
