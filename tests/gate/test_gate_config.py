"""`golfcheck gate` reads [tool.golfcheck] from the base revision (the PR cannot configure its own
gate), and fails with exit 2 on an internal error."""

from __future__ import annotations

import json

from golfcheck.cli import main


def gate(repo, *extra: str) -> int:
    return main(["gate", "--repo", str(repo.root), "--base", repo.base, "--head", "pr", *extra])


def base_config(repo, body: str) -> None:
    """Commit a [tool.golfcheck] table on the base branch and restart the PR branch from it."""
    repo.git("checkout", "-q", "main")
    repo.write("pyproject.toml", body)
    repo.base = repo.commit("config")
    repo.git("checkout", "-q", "-B", "pr")


def test_gate_reads_the_base_revisions_configuration_never_the_prs(repo, monkeypatch, capsys):
    base_config(repo, '[tool.golfcheck]\nfail-on = "note"\n')  # the maintainers' table: fail at note
    repo.add_submission()
    repo.commit()
    monkeypatch.chdir(repo.root)  # the working tree is the PR's
    assert gate(repo) == 1  # the GC602 note fails at the base's fail-on
    assert gate(repo, "--fail-on", "error") == 0
    assert gate(repo, "--ignore", "GC602") == 0
    capsys.readouterr()
    # the PR edits pyproject.toml to pass itself: GC507, and the gate still reads the base's table
    repo.write("pyproject.toml", '[tool.golfcheck]\nfail-on = "never"\nignore = ["GC5", "GC6"]\n')
    repo.commit("relax the gate")
    assert gate(repo, "--format", "json") == 1
    data = json.loads(capsys.readouterr().out)
    assert any(f["rule"] == "GC507" and "pyproject.toml" in f["path"] for f in data["findings"])


def test_gate_configuration_errors_name_the_base_revision(repo, capsys):
    base_config(repo, '[tool.golfcheck]\nselect = ["GC1O1"]\n')
    repo.add_submission()
    repo.commit()
    code = gate(repo)
    err = capsys.readouterr().err
    assert code == 2 and f"pyproject.toml at {repo.base}" in err and "did you mean GC101?" in err


def test_a_rule_crash_fails_the_gate_with_exit_2(repo, tmp_path, monkeypatch, capsys):
    from golfcheck.rules import get_rule

    def crash(self, ctx):
        raise ModuleNotFoundError("No module named 'referencing'")

    monkeypatch.setattr(get_rule("GC604"), "check", crash)
    repo.add_submission()
    repo.commit()
    summary = tmp_path / "summary.md"
    assert gate(repo, "--fail-on", "never", "--summary", str(summary)) == 2
    assert "internal error in rule GC604" in capsys.readouterr().err
    assert "The gate fails: golfcheck hit 1 internal error(s)" in summary.read_text()
