import json
import sys
from pathlib import Path

import pytest

from golfcheck.checks.examples import README, good_files, log, submission_json
from golfcheck.cli import main



R = "corpus/records/track_10min_16mb/"


def test_validate_json_contract_with_sota_values(make_folder, capsys):
    root = make_folder(good_files())
    assert main(["validate", str(root), "--sota-bpb", "1.0601,1.0605,1.0598", "--sota-c", "0.38713",
                 "--format", "json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert {"n", "m", "mean", "sota_mean", "strict", "progression", "findings"} <= set(d)
    assert d["n"] == 3 and d["m"] == 3 and d["strict"]["pass"] and d["progression"]["pass"]
    assert {"p", "pass"} <= set(d["strict"]) and d["delta_nats"] == pytest.approx(d["delta_bpb"] / 0.38713)


def test_validate_too_few_seeds(make_folder, capsys):
    root = make_folder({"README.md": README, "submission.json": submission_json({42: 1.0}), "train_seed42.log": log(42, 1.0)})
    assert main(["validate", str(root), "--seeds", "3", "--sota-bpb", "1.1,1.2"]) == 1
    assert "1 distinct seed(s)" in capsys.readouterr().out


def test_validate_reproduces_1514_vs_1493(capsys, shared):
    A2, R1493 = shared(R + "2026-04-09_A2_Muon097_3Seed"), shared(R + "2026-04-09_SP8192_3LayerRecur_ParResid_QK525_LegalTTT")
    assert main(["validate", str(A2), "--sota", str(R1493), "--format", "json", "--profile", "history"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["progression"]["p"] == pytest.approx(0.0203, abs=5e-5) and d["progression"]["pass"]
    assert d["strict"]["p"] == pytest.approx(0.949, abs=1e-3) and not d["strict"]["pass"]


def test_validate_rejects_bad_sota_values(make_folder, capsys):
    root = make_folder(good_files())
    assert main(["validate", str(root), "--sota-bpb", "1.0,abc"]) == 2
    assert "--sota-bpb" in capsys.readouterr().err


def test_validate_run_writes_one_log_per_seed(make_folder, capsys):
    script = (
        "import os\n"
        "s = int(os.environ['SEED'])\n"
        "print('seed:%d' % s)\n"
        "print('stopping_early: wallclock_cap train_time:590000ms step:4800/20000')\n"
        "print('quantized_sliding_window val_loss:2.58000000 val_bpb:%.8f eval_time:90000ms' % (1.0 + s * 1e-6))\n"
    )
    root = make_folder({"fake_train.py": script, "README.md": README})
    (root / "train_seed42.log").write_text("seed:42\nquantized_sliding_window val_loss:2.58000000 val_bpb:1.00004200 eval_time:1ms\n")
    cmd = f"{sys.executable} fake_train.py"
    rc = main(["validate", str(root), "--run", cmd, "--run-seeds", "42,314,999", "--sota-bpb", "1.06,1.061,1.062",
               "--format", "json"])
    d = json.loads(capsys.readouterr().out)
    assert [r["log"] for r in d["runs"]] == ["train_seed42_run2.log", "train_seed314.log", "train_seed999.log"]
    assert (root / "train_seed42.log").read_text().startswith("seed:42\nquantized")  # never overwritten
    assert d["n"] == 3 and rc in (0, 1)


def test_validate_run_failure_reports_tail(make_folder, capsys):
    root = make_folder({"README.md": README})
    rc = main(["validate", str(root), "--run", f"{sys.executable} -c \"print('boom'); raise SystemExit(4)\"",
               "--run-seeds", "1", "--seeds", "1", "--no-leaderboard"])
    out = capsys.readouterr().out
    assert rc == 1 and "failed (exit 4)" in out and "boom" in out and (root / "train_seed1.log").exists()


def test_validate_run_judges_only_the_runs_it_started(make_folder, capsys):
    # three good old logs; the command fails every time: the old logs must not pass for its results
    root = make_folder(good_files())
    rc = main(["validate", str(root), "--run", f"{sys.executable} -c \"raise SystemExit(3)\"",
               "--run-seeds", "1,2,3", "--no-leaderboard", "--format", "json"])
    d = json.loads(capsys.readouterr().out)
    assert rc == 1 and d["n"] == 0 and d["seeds"] == {}
    failed = [f for f in d["findings"] if "failed (exit 3)" in f["message"]]
    assert len(failed) == 3 and all(f["severity"] == "error" for f in failed)


def test_validate_run_without_a_score_is_an_error_even_off_the_record_track(make_folder, capsys):
    root = make_folder({"README.md": README}, "2026-05-01_NonRecord")
    rc = main(["validate", str(root), "--run", f"{sys.executable} -c \"print('training...')\"",
               "--run-seeds", "5", "--seeds", "1", "--profile", "non-record", "--no-leaderboard", "--format", "json"])
    d = json.loads(capsys.readouterr().out)
    assert rc == 1
    (f,) = [f for f in d["findings"] if "printed no scored val_bpb line" in f["message"]]
    assert f["severity"] == "error" and f["path"].endswith("train_seed5.log")
