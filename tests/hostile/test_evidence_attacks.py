"""Hostile evidence: logs, submission.json, configuration and the run configuration a log claims."""

from __future__ import annotations

import json
import os

import pytest

import attacks as A
from hostile_helpers import golfcheck_cli
from golfcheck import logs
from golfcheck.api import audit_paths
from golfcheck.checks.folder import check_folder
from golfcheck.checks.runs import analyse_logs
from golfcheck.cli import main
from golfcheck.findings import Severity
from golfcheck.submission import load_submission


# ------------------------------------------------------------------ logs
def test_a_log_with_cr_only_line_ends_is_parsed(write):
    root = write(A.folder(A.ILLEGAL, **{"train_seed1337.log": A.cr_only_log(20_000)}))
    res = analyse_logs(load_submission(root))
    (row,) = res.rows
    assert row.run.seed.value == 1337 and row.run.scored is not None and row.run.scored.bpb == 1.2
    assert row.run.last_step == 100 and row.run.end_line > 300  # every CR ended a line


def test_backtracking_traps_parse_in_linear_time_and_keep_their_fields(write):
    """50 copies of each trap (each was quadratic in the line length): parsed, fields still found."""
    root = write(A.folder(A.ILLEGAL, **{"train_seed1337.log": A.spaces_log(50, 4080)}))
    (row,) = analyse_logs(load_submission(root)).rows
    assert row.run.scored.bpb == 1.2 and row.run.seed.value == 1337


@pytest.mark.parametrize("line, field, value", [
    ("| 0 NVIDIA H100 80GB HBM3          On  | 00000000:18:00.0 Off |", "gpus", {0: "H100 80GB HBM3"}),
    ("device:cuda NVIDIA H100 80GB HBM3 torch:2.11.0+cu130", "torch", "2.11.0+cu130"),
    ("device:cpu torch:2.13.0+cpu", "torch", "2.13.0+cpu"),
    ("step:10 artifact:15.2MB params:1 code:48213 x code:48999", "code_bytes", 48999),
    ("int8+zlib model: 15000000 bytes | Total submission: 15060000 bytes", "total_bytes", 15060000),
    ("run params:123,456 lr:0.1 s:7 eval s:42", "seed", 42),
])
def test_rewritten_patterns_read_what_they_read_before(line, field, value):
    run = logs.parse_run([logs.Line(1, line)])
    got = getattr(run, field)
    assert (got.value if hasattr(got, "value") else got) == value


def test_a_log_over_the_size_cap_is_reported_not_parsed(write, monkeypatch):
    monkeypatch.setattr(logs, "MAX_LOG_BYTES", 100_000)
    root = write(A.folder(A.ILLEGAL, **{"train_seed1337.log": A.tiny_lines_log(200_000)}))
    res = analyse_logs(load_submission(root))
    (f,) = [f for f in res.findings if f.rule == "GC605"]
    assert "100,000 bytes" in f.message and "not parsed" in f.message
    assert not res.rows


def _parse_capped(path, megabytes):
    """parse_log in a forked child that may allocate only ``megabytes`` MiB more than this process."""
    from golfcheck import isolation

    outcome = isolation.run(lambda: (lambda lf: (lf.lines, lf.runs[0].seed and lf.runs[0].seed.value))(
        logs.parse_log(path)), memory_mb=megabytes)
    assert outcome.ok, outcome.failure
    return outcome.value


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_parsing_streams_from_disk_in_bounded_memory(tmp_path):
    path = tmp_path / "tiny.log"
    path.write_bytes(A.tiny_lines_log(2_000_000))  # 500,000 lines with a colon (whole: ~150 MB of objects)
    lines, seed = _parse_capped(path, 48)
    assert lines > 500_000 and seed == 1337


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_one_huge_line_is_cut_not_held(tmp_path):
    path = tmp_path / "long.log"
    path.write_bytes(A.long_line_log(logs.MAX_LOG_BYTES - 1000))
    lines, seed = _parse_capped(path, 48)
    assert lines == 6 and seed == 1337


def test_lists_runs_and_gpus_a_log_states_are_bounded():
    many = "seed:1\n" + "final_int8_zlib_roundtrip val_loss:2.0 val_bpb:1.2\n" * (logs.MAX_ITEMS + 500)
    (run,) = logs.parse_log(many).runs
    assert len(run.metrics) == logs.MAX_ITEMS and run.metrics[-1].line == logs.MAX_ITEMS + 501
    headers = "".join(f"seed:{i}\nfinal_int8_zlib_roundtrip val_loss:2.0 val_bpb:1.2\n" for i in range(logs.MAX_RUNS + 50))
    assert len(logs.parse_log(headers).runs) == logs.MAX_RUNS


def test_many_runs_are_compared_by_identity(write):
    text = "".join(f"seed:{i % 7}\nfinal_int8_zlib_roundtrip val_loss:2.0 val_bpb:1.{i:04d}\n" for i in range(240))
    root = write(A.folder(A.ILLEGAL, **{"train_seed1337.log": text, "submission.json": json.dumps(
        {"name": "x", "val_bpb": 1.2, "seed_results": {str(s): {"val_bpb": 1.5} for s in range(7)}})}))
    res = analyse_logs(load_submission(root))
    assert len(res.rows) == 240 and any(f.rule == "GC603" for f in res.findings)


def test_huge_logs_do_not_reach_the_rules(write, monkeypatch):
    """The audit never reads a log over the cap: a huge evidence file cannot exhaust the unit (and
    so turn its errors into one GC002)."""
    monkeypatch.setattr(logs, "MAX_LOG_BYTES", 50_000)
    root = write(A.folder(A.ILLEGAL, **{"train_seed1337.log": A.tiny_lines_log(100_000)}))
    report = audit_paths([root])
    assert any(f.rule == "GC101" and f.severity is Severity.ERROR for f in report.findings)
    assert not [f for f in report.findings if f.rule == "GC002"]


# ------------------------------------------------------------------ submission.json
@pytest.mark.parametrize("kind", ["int400", "infinity", "nan", "int5000", "deep"])
def test_bad_json_numbers_and_nesting_are_gc604_naming_the_file(write, kind):
    root = write(A.folder(A.ILLEGAL, **{"submission.json": A.json_variants()[kind]}))
    proc = golfcheck_cli(["check", str(root), "--format", "json"], root.parent)
    assert proc.returncode == 1, proc.stderr[-500:]
    assert "internal error" not in proc.stderr
    out = json.loads(proc.stdout)
    (f,) = [f for f in out["findings"] if f["rule"] == "GC604"]
    assert f["severity"] == "error" and f["path"].endswith("submission.json") and "submission.json" in f["message"]
    assert "not valid JSON" in f["message"]


def test_the_loader_names_the_key_of_a_refused_number():
    from golfcheck.submission import parse_json

    loaded = parse_json('{\n  "name": "x",\n  "val_bpb": NaN\n}')
    assert loaded.data is None and loaded.line == 3 and "'val_bpb'" in loaded.problem
    assert parse_json('{"a": [1.5, -2, "NaN"]}').data == {"a": [1.5, -2, "NaN"]}


# ------------------------------------------------------------------ the forged echo
def test_a_forged_echo_cannot_switch_off_a_default_on_path(write):
    root = write(A.folder(A.GATED, **{"train_seed1337.log": "Hyperparameters:\n  use_ngram: 0\n  seed: 1337\n"}))
    report = audit_paths([root])
    assert any(f.rule == "GC101" and f.severity is Severity.ERROR for f in report.findings)
    (gc004,) = [f for f in report.findings if f.rule == "GC004"]
    assert gc004.severity is Severity.WARNING and gc004.path.endswith("train_seed1337.log") and gc004.line == 2
    assert "not taken" in gc004.message


def test_an_echo_of_a_scored_run_is_taken_and_the_disagreement_is_a_warning(write):
    log = "Hyperparameters:\n  use_ngram: 0\n  seed: 1337\n" + A.LOG_TAIL
    root = write(A.folder(A.GATED, **{"train_seed1337.log": log}))
    report = audit_paths([root])
    assert [f.severity for f in report.findings if f.rule == "GC101"] == [Severity.NOTE]  # dormant
    (gc004,) = [f for f in report.findings if f.rule == "GC004"]
    assert gc004.severity is Severity.WARNING and "is taken" in gc004.message


# ------------------------------------------------------------------ configuration from the audited folder
def test_a_submissions_own_pyproject_is_never_obeyed(write, monkeypatch, capsys):
    cfg = '[tool.golfcheck]\nignore = ["GC1"]\nfail-on = "never"\nrespect-suppressions = true\n'
    root = write(A.folder(A.ILLEGAL, **{"pyproject.toml": cfg}))
    monkeypatch.chdir(root)
    assert main(["audit", ".", "--format", "json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert any(f["rule"] == "GC101" for f in out["findings"])
    (root / "sub").mkdir()
    monkeypatch.chdir(root / "sub")
    (root / "sub" / "pyproject.toml").write_text(cfg)
    assert main(["audit", "..", "--format", "json"]) == 1  # a pyproject below the audited folder


def test_python_m_golfcheck_does_not_import_the_folders_modules(write):
    marker = "open('IMPORTED', 'w').write('ran')\n"
    root = write(A.folder(A.ILLEGAL, **{"click.py": marker, "libcst.py": marker}))
    proc = golfcheck_cli(["audit", "."], root)
    assert not (root / "IMPORTED").exists()
    assert proc.returncode == 1 and "GC101" in proc.stdout


def test_a_fifo_is_never_a_code_unit(tmp_path):
    os.mkfifo(tmp_path / "pipe.py")
    (tmp_path / "ok.py").write_text(A.ILLEGAL)
    report = audit_paths([tmp_path])
    assert [p.rsplit("/", 1)[-1] for p in report.files] == ["ok.py"]


def test_check_folder_on_every_attack_folder_at_once(write):
    """Every evidence attack in one folder: a report, no exception."""
    files = A.folder(A.ILLEGAL, **{"train_seed1337.log": A.spaces_log(5, 2000), "train_seed2.log": A.cr_only_log(5000),
                                   "submission.json": A.json_variants()["deep"]})
    report = check_folder(write(files))
    assert {"GC101", "GC604"} <= {f.rule for f in report.findings}


def test_an_internal_error_names_the_folder(write, monkeypatch, capsys):
    import golfcheck.checks.folder as folder_checks

    def boom(sub, profile):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(folder_checks, "metadata_of", boom)
    root = write(A.folder(A.ILLEGAL))
    assert main(["check", str(root)]) == 2
    err = capsys.readouterr().err
    assert f"golfcheck: {root}: internal error: ZeroDivisionError: boom" in err
