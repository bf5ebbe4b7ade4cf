"""``golfcheck audit``: exit codes, selection, formats, configuration errors, and never a traceback."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "engine"))

from engine_helpers import INLINE_RULES, write_tree  # noqa: E402
from golfcheck.cli import main  # noqa: E402


@pytest.fixture(autouse=True)
def catalogue(monkeypatch):
    """The CLI sees GC001-GC003 plus tiny inline rules (other rules are being written in parallel)."""
    import golfcheck.rules as rules_pkg

    real = [r for r in rules_pkg.all_rules() if r.id in ("GC001", "GC002", "GC003")]
    rules = tuple(sorted([*real, *INLINE_RULES], key=lambda r: r.id))
    monkeypatch.setattr(rules_pkg, "all_rules", lambda: rules)


@pytest.fixture(autouse=True)
def no_project_config(tmp_path, monkeypatch):
    """Run from a folder without pyproject.toml so the checkout's own config is never picked up."""
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def test_clean_file_exits_0(tmp_path, capsys):
    write_tree(tmp_path, {"t/train_gpt.py": "x = 1\n"})
    code, out, err = run(capsys, "audit", str(tmp_path / "t" / "train_gpt.py"))
    assert code == 0 and out == "" and "verdict CLEAN" in err


def test_error_finding_exits_1_and_prints_text(tmp_path, capsys):
    f = write_tree(tmp_path, {"t/train_gpt.py": "x = 1\ndanger()\n"}) / "t" / "train_gpt.py"
    code, out, err = run(capsys, "audit", str(f))
    assert code == 1
    assert out == f"{tmp_path}/t/train_gpt.py:2:1: GC990 [error] danger() is called\n"
    assert "1 error(s)" in err and "verdict ILLEGAL" in err


@pytest.mark.parametrize("args, expected", [
    ((), 1),
    (("--exit-zero",), 0),
    (("--fail-on", "warning"), 1),
    (("--fail-on", "never"), 0),
    (("--select", "GC991"), 0),
    (("--select", "GC991", "--fail-on", "warning"), 1),
    (("--select", "GC991,GC990"), 1),
    (("--select", "gc99"), 1),
    (("--ignore", "GC990"), 0),
    (("--ignore", "GC99"), 0),
    (("--ignore", "GC9", "--fail-on", "note"), 0),
])
def test_exit_codes_fail_on_select_ignore(tmp_path, capsys, args, expected):
    write_tree(tmp_path, {"t/train_gpt.py": "danger()\nrisky()\n"})
    code, _, _ = run(capsys, "audit", str(tmp_path / "t"), *args)
    assert code == expected


def test_warning_only_passes_default_fail_on(tmp_path, capsys):
    write_tree(tmp_path, {"t/train_gpt.py": "risky()\n"})
    assert run(capsys, "audit", str(tmp_path / "t"))[0] == 0
    assert run(capsys, "audit", str(tmp_path / "t"), "--fail-on", "warning")[0] == 1


def test_missing_path_exits_2_with_one_line(tmp_path, capsys):
    code, out, err = run(capsys, "audit", str(tmp_path / "nope.py"))
    assert code == 2 and out == ""
    assert err.strip() == f"golfcheck: {tmp_path / 'nope.py'}: no such file or folder"


def test_bad_option_exits_2(tmp_path, capsys):
    write_tree(tmp_path, {"t/train_gpt.py": "x = 1\n"})
    assert run(capsys, "audit", str(tmp_path), "--format", "xml")[0] == 2
    assert run(capsys, "audit", str(tmp_path), "--fail-on", "sometimes")[0] == 2


@pytest.mark.parametrize("body, words", [
    ('[tool.golfcheck]\nselct = ["GC1"]\n', "unknown key 'selct'"),
    ('[tool.golfcheck]\nfail-on = "sometimes"\n', "fail-on must be one of"),
    ('[tool.golfcheck\n', "invalid TOML"),
])
def test_config_errors_exit_2_naming_the_file(tmp_path, capsys, body, words):
    cfg = tmp_path / "cwd" / "pyproject.toml"
    cfg.write_text(body, encoding="utf-8")
    write_tree(tmp_path, {"t/train_gpt.py": "x = 1\n"})
    code, out, err = run(capsys, "audit", str(tmp_path / "t"))
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("golfcheck: ") and "pyproject.toml" in lines[0] and words in lines[0]
    code, _, err = run(capsys, "audit", str(tmp_path / "t"), "--config", str(cfg))
    assert code == 2 and "pyproject.toml" in err


def test_config_values_apply_and_flags_override(tmp_path, capsys):
    (tmp_path / "cwd" / "pyproject.toml").write_text('[tool.golfcheck]\nfail-on = "warning"\nignore = ["GC990"]\n')
    write_tree(tmp_path, {"t/train_gpt.py": "danger()\nrisky()\n"})
    assert run(capsys, "audit", str(tmp_path / "t"))[0] == 1  # risky() fails at warning
    assert run(capsys, "audit", str(tmp_path / "t"), "--fail-on", "error")[0] == 0  # flag beats file
    code, out, _ = run(capsys, "audit", str(tmp_path / "t"), "--format", "json")
    assert {f["rule"] for f in json.loads(out)["findings"]} == {"GC991"}


def test_output_file_and_formats(tmp_path, capsys):
    write_tree(tmp_path, {"t/train_gpt.py": "danger()\n"})
    target = tmp_path / "out.sarif"
    code, out, _ = run(capsys, "audit", str(tmp_path / "t"), "--format", "sarif", "-o", str(target))
    assert code == 1 and out == ""
    sarif = json.loads(target.read_text())
    assert sarif["version"] == "2.1.0" and sarif["runs"][0]["results"][0]["ruleId"] == "GC990"
    code, out, _ = run(capsys, "audit", str(tmp_path / "t"), "--format", "github")
    assert out.startswith("::error title=golfcheck (GC990),file=")


def test_respect_suppressions_flag(tmp_path, capsys):
    write_tree(tmp_path, {"t/train_gpt.py": "danger()  # golfcheck: ignore[GC990] reviewed\n"})
    assert run(capsys, "audit", str(tmp_path / "t"))[0] == 1
    assert run(capsys, "audit", str(tmp_path / "t"), "--respect-suppressions")[0] == 0


# --------------------------------------------------------------------------- never a traceback
def hostile_tree(root: Path) -> Path:
    write_tree(root, {
        "binary/train_gpt.py": b"\x7fELF\x00\x00\x01\x02" * 64,
        "empty/train_gpt.py": b"",
        "latin1/train_gpt.py": "x = 'caf\u00e9'\n".encode("latin-1"),
        "syntax/train_gpt.py": "def f(:\n",
        "huge/train_gpt.py": "x = 1\n" + "y = '" + "a" * 9_000_000 + "'\n",
        "deep/train_gpt.py": "x = " + "+".join(["a"] * 3000) + "\n",
        "nested/train_gpt.py": "x = " + "f(" * 400 + ")" * 400 + "\n",
        "ok/train_gpt.py": "danger()\n",
    })
    loop = root / "loop"
    loop.mkdir()
    os.symlink(loop, loop / "again")  # a directory symlink loop
    os.symlink(root / "does-not-exist.py", root / "ok" / "dangling.py")
    os.symlink(root / "ok", root / "ok" / "self")
    return root


def test_hostile_inputs_never_crash(tmp_path, capsys):
    root = hostile_tree(tmp_path / "corpus")
    code, out, err = run(capsys, "audit", str(root), "--format", "json")
    assert code == 1, err
    report = json.loads(out)
    by_folder = {}
    for f in report["findings"]:
        by_folder.setdefault(f["path"].split("/")[-2], set()).add(f["rule"])
    assert by_folder["binary"] == {"GC001"} and by_folder["empty"] == {"GC001"}
    assert by_folder["latin1"] == {"GC001"} and by_folder["syntax"] == {"GC001"}
    assert by_folder["huge"] == {"GC002"} and by_folder["deep"] == {"GC002"}
    assert "GC001" in by_folder["nested"] or "GC002" in by_folder["nested"]
    assert by_folder["ok"] == {"GC990"}
    assert not any("could not analyse" in f["message"] or "internal error" in f["message"] for f in report["findings"])


def test_jobs_2_gives_the_same_report_as_jobs_1(tmp_path, capsys):
    for i in range(4):
        write_tree(tmp_path / "many", {f"r{i}/train_gpt.py": "danger()\n" * (i + 1) + "risky()\n", f"r{i}/README.md": "x\n"})
    write_tree(tmp_path / "many", {"bad/train_gpt.py": "def f(:\n"})
    one = run(capsys, "audit", str(tmp_path / "many"), "--format", "json", "-j", "1")
    two = run(capsys, "audit", str(tmp_path / "many"), "--format", "json", "-j", "2")
    assert one[0] == two[0] == 1
    assert json.loads(one[1]) == json.loads(two[1])
    assert len(json.loads(one[1])["files"]) == 5


# --------------------------------------------------------------------------- a typo never turns the gate green
@pytest.mark.parametrize("args, bad, hint", [
    (("--select", "BOGUS"), "'BOGUS'", ""),
    (("--select", "GC990,GC99O"), "'GC99O'", "(did you mean GC990?)"),
    (("--ignore", "GC777"), "'GC777'", ""),
])
def test_unknown_rule_ids_on_the_command_line_exit_2(tmp_path, capsys, args, bad, hint):
    write_tree(tmp_path, {"t/train_gpt.py": "danger()\n"})
    code, out, err = run(capsys, "audit", str(tmp_path / "t"), *args)
    assert code == 2 and out == ""
    [line] = err.strip().splitlines()
    assert line.startswith(f"golfcheck: {args[0]}: {args[0]}: unknown rule id or prefix {bad}") and hint in line


def test_unknown_rule_ids_in_the_configuration_exit_2(tmp_path, capsys):
    cfg = tmp_path / "cwd" / "pyproject.toml"
    write_tree(tmp_path, {"t/train_gpt.py": "danger()\n"})
    for body in ('[tool.golfcheck]\nselect = ["XYZ"]\n', '[tool.golfcheck]\nignore = ["GC999"]\n'):
        cfg.write_text(body)
        code, out, err = run(capsys, "audit", str(tmp_path / "t"))
        assert code == 2 and out == "" and str(cfg) in err and "unknown rule id or prefix" in err


def test_per_file_ignores_and_extend_ignore_from_the_configuration(tmp_path, capsys):
    write_tree(tmp_path, {"cwd/a/train_gpt.py": "danger()\nrisky()\n", "cwd/b/train_gpt.py": "danger()\nrisky()\n"})
    (tmp_path / "cwd" / "pyproject.toml").write_text(
        '[tool.golfcheck]\nextend-ignore = ["GC991"]\n[tool.golfcheck.per-file-ignores]\n"a/*.py" = ["GC990"]\n')
    for target in ("a", str(tmp_path / "cwd" / "a")):  # relative or absolute, the pattern is relative to the config
        code, out, _ = run(capsys, "audit", target, "b", "--format", "json")
        assert code == 1
        assert [(f["rule"], f["path"].split("/")[-2]) for f in json.loads(out)["findings"]] == [("GC990", "b")]


def test_a_crashing_rule_fails_the_run_with_exit_2(tmp_path, capsys, monkeypatch):
    import golfcheck.rules as rules_pkg
    from engine_helpers import Exploding

    rules = (*rules_pkg.all_rules(), Exploding)
    monkeypatch.setattr(rules_pkg, "all_rules", lambda: rules)
    write_tree(tmp_path, {"t/train_gpt.py": "x = 1\n"})
    for extra in ((), ("--exit-zero",), ("--fail-on", "never"), ("--ignore", "GC0")):
        code, out, err = run(capsys, "audit", str(tmp_path / "t"), "--format", "json", *extra)
        assert code == 2, extra
        [crash] = json.loads(out)["findings"]  # the report is still written
        assert crash["rule"] == "GC000" and "GC992" in crash["message"]
        assert "internal error in rule GC992 (test-exploding): ZeroDivisionError: boom" in err
        assert "1 internal error(s)" in err


# --------------------------------------------------------------------------- conventions: statistics, quiet, stdin
def test_statistics_counts_findings_per_rule(tmp_path, capsys):
    write_tree(tmp_path, {"t/train_gpt.py": "danger()\ndanger()\nrisky()\n"})
    code, out, _ = run(capsys, "audit", str(tmp_path / "t"), "--statistics")
    assert code == 1
    assert out.splitlines() == ["    2  GC990  test-danger-call  2 error", "    1  GC991  test-risky-call   1 warning"]
    code, out, _ = run(capsys, "audit", str(tmp_path / "t"), "--statistics", "--format", "json")
    data = json.loads(out)
    assert data["verdict"] == "ILLEGAL"
    assert [(r["rule"], r["count"], r["error"], r["warning"]) for r in data["statistics"]] == [("GC990", 2, 2, 0), ("GC991", 1, 0, 1)]
    assert run(capsys, "audit", str(tmp_path / "t"), "--statistics", "--format", "sarif")[0] == 2


def test_quiet_prints_the_report_and_nothing_else(tmp_path, capsys):
    write_tree(tmp_path, {"t/train_gpt.py": "danger()\n"})
    code, out, err = run(capsys, "audit", str(tmp_path / "t"), "--quiet")
    assert code == 1 and "GC990" in out and err == ""
    code, out, err = run(capsys, "audit", str(tmp_path / "t"))
    assert "verdict ILLEGAL" in err and "golfcheck check FOLDER" in err


def test_dash_reads_the_code_from_stdin(tmp_path, capsys, monkeypatch):
    import io

    def stdin(data: bytes):
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))

    stdin(b"x = 1\ndanger()\n")
    code, out, _ = run(capsys, "audit", "-")
    assert code == 1 and out == "-:2:1: GC990 [error] danger() is called\n"
    stdin(b"risky()\n")
    (tmp_path / "cwd" / "pyproject.toml").write_text('[tool.golfcheck.per-file-ignores]\n"records/*" = ["GC991"]\n')
    code, out, _ = run(capsys, "audit", "-", "--stdin-filename", "records/run/train_gpt.py", "--format", "json",
                       "--fail-on", "warning")
    assert code == 0 and json.loads(out)["files"] == ["records/run/train_gpt.py"]  # per-file-ignores see the name
    stdin(b"def f(:\n")
    code, out, _ = run(capsys, "audit", "-", "--stdin-filename", "mine.py")
    assert code == 1 and out.startswith("mine.py:1:") and "GC001" in out
    assert run(capsys, "audit", str(tmp_path), "--stdin-filename", "x.py")[0] == 2


def test_progress_bar_for_long_batches(tmp_path):
    import io

    from golfcheck.cli.progress import MIN_UNITS, Progress

    stream = io.StringIO()
    bar = Progress(stream=stream, force_terminal=True)
    for i in range(1, 4):
        bar(i, 3)  # a short batch draws nothing
    assert stream.getvalue() == ""
    for i in range(1, MIN_UNITS + 1):
        bar(i, MIN_UNITS)
    bar.close()
    assert f"{MIN_UNITS}/{MIN_UNITS}" in stream.getvalue()
    quiet = io.StringIO()
    off = Progress(enabled=False, stream=quiet, force_terminal=True)
    off(1, 100)
    off.close()
    assert quiet.getvalue() == ""


def test_progress_without_rich_is_one_plain_line(monkeypatch):
    import builtins
    import io

    from golfcheck.cli.progress import Progress

    real_import = builtins.__import__

    def no_rich(name, *args, **kwargs):
        if name.startswith("rich"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_rich)
    stream = io.StringIO()
    bar = Progress(stream=stream, force_terminal=True)
    for i in range(1, 11):
        bar(i, 10)
    bar.close()
    assert stream.getvalue().endswith("\raudited 10/10\n")
