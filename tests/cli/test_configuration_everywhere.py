"""Every command reads the same [tool.golfcheck] table, and every command fails the same way: a rule
crash is exit 2, a typo in a rule id is exit 2, fail-on/select/ignore mean the same everywhere."""

from __future__ import annotations

import json

import pytest

from golfcheck.checks.examples import TRAIN_GPT, good_files
from golfcheck.cli import main


@pytest.fixture
def cwd(tmp_path, monkeypatch):
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


@pytest.fixture
def good(make_folder):
    # a clean record folder whose only finding is a GC602 note (no SOTA to compare with)
    return make_folder({"train_gpt.py": TRAIN_GPT, **good_files()})


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def test_the_good_folder_has_one_note(good, cwd, capsys):
    code, out, _ = run(capsys, "check", str(good), "--format", "json")
    assert code == 0 and [(f["rule"], f["severity"]) for f in json.loads(out)["findings"]] == [("GC602", "note")]


@pytest.mark.parametrize("command", ["check", "validate"])
def test_fail_on_from_the_configuration_applies_to_folder_commands(good, cwd, capsys, command):
    (cwd / "pyproject.toml").write_text('[tool.golfcheck]\nfail-on = "note"\n')
    assert run(capsys, command, str(good))[0] == 1  # the GC602 note fails at note
    assert run(capsys, command, str(good), "--fail-on", "error")[0] == 0  # the flag beats the file


@pytest.mark.parametrize("command", ["check", "validate", "size", "logs"])
def test_select_and_ignore_apply_to_folder_commands(good, cwd, capsys, command):
    (cwd / "pyproject.toml").write_text('[tool.golfcheck]\nfail-on = "note"\nignore = ["GC602"]\n')
    code, out, _ = run(capsys, command, str(good), "--format", "json")
    assert code == 0 and not json.loads(out)["findings"]
    code, out, err = run(capsys, command, str(good), "--select", "GC60Z")
    assert code == 2 and out == "" and "unknown rule id or prefix 'GC60Z'" in err and "did you mean GC60" in err


def test_check_fails_with_exit_2_when_a_rule_crashes(good, cwd, capsys, monkeypatch):
    """As with jsonschema 4.17 (no `referencing` module): the crash is an internal error, not a warning."""
    from golfcheck.rules import get_rule

    rule = get_rule("GC604")

    def crash(self, ctx):
        raise ModuleNotFoundError("No module named 'referencing'")

    monkeypatch.setattr(rule, "check", crash)
    code, out, err = run(capsys, "check", str(good), "--format", "json", "--fail-on", "never")
    assert code == 2
    crashed = [f for f in json.loads(out)["findings"] if f["rule"] == "GC000"]
    assert len(crashed) == 1 and "internal error in rule GC604" in crashed[0]["message"]
    assert "internal error in rule GC604 (submission-json-schema): ModuleNotFoundError: No module named 'referencing'" in err
