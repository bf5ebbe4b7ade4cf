"""benchmarks/gpu_check.sh: its log summary (parsed from trainer logs) and, slow, the script end to end."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("gpu_check_report", ROOT / "benchmarks" / "gpu_check_report.py")
report = importlib.util.module_from_spec(spec)
spec.loader.exec_module(report)

# The shape of a capped trainer log: steps 1-5 logged, then every 50; the cap falls at step 130,
# between log lines, 30 ms per step.
CAPPED = """\
  objective: bd3
  block_size: 4
  train_batch_tokens: 65536
  train_seq_len: 1024
  num_layers: 9
  model_dim: 512
seed:0
device:cuda NVIDIA H100 80GB HBM3 torch:2.13.0+cu130
model_params:17059912
eval_budget: mode:bd3 block:4 seq_len:1024 windows:60568 world_size:8 seconds_per_window:0.004000 projected_eval_seconds:30.3 max_eval_seconds:600 scope:plan_tokens:62021632 fits:yes tried:1024=30.3s
step:1/100000 train_loss:7.0000 train_time:30ms step_avg:30.00ms
step:5/100000 train_loss:6.9000 train_time:150ms step_avg:30.00ms
step:50/100000 train_loss:5.0000 train_time:1500ms step_avg:30.00ms
step:100/100000 train_loss:4.0000 train_time:3000ms step_avg:30.00ms
stopping_early: wallclock_cap train_time:3900ms step:130/100000
train_nelbo:4.0000 nats/token (mean of last 50 steps) train_tokens:8519680 train_tokens_per_s:2184533
final_int8_zlib_roundtrip val_loss:4.0000 val_bpb:1.9000 eval_time:1234ms eval_mode:bd3 block_size:4 seq_len:1024 tokens:13312 bytes:40000
causality_selftest:pass windows:2 cuts:2,5,6,513,1024 (...)
"""


def test_training_rate_comes_from_the_stop_line():
    r = report.parse_log(CAPPED)
    t = r["train"]
    assert t["capped"] and t["steps"] == 130 and t["train_ms"] == 3900
    assert t["tokens_per_s"] == pytest.approx(130 * 65536 / 3.9)
    # the old reading (all tokens over the last logged step's time) would have said 1.3x more
    assert 130 * 65536 / 3.0 > 1.29 * t["tokens_per_s"]


def test_uncapped_log_uses_the_last_step_line():
    log = CAPPED.replace("stopping_early: wallclock_cap train_time:3900ms step:130/100000\n", "")
    t = report.parse_log(log)["train"]
    assert not t["capped"] and t["steps"] == 100 and t["tokens_per_s"] == pytest.approx(100 * 65536 / 3.0)


def test_budget_final_and_selftest_fields():
    r = report.parse_log(CAPPED)
    b = r["budget"]
    assert b["mode"] == "bd3" and b["seq_len"] == 1024 and b["world_size"] == 8 and b["fits"] == "yes"
    assert b["projected_eval_seconds"] == pytest.approx(30.3) and b["scope"] == "plan_tokens:62021632"
    assert r["final"] == {"loss": 4.0, "bpb": 1.9, "eval_ms": 1234} and r["selftest"] == "pass"
    assert r["objective"] == "bd3" and r["device"].startswith("cuda NVIDIA H100") and not r["refused"]
    assert 0 < report.mfu(r) < 1


def test_report_prints_and_fails_on_a_log_without_training(tmp_path, capsys):
    good, bad = tmp_path / "bd3.log", tmp_path / "mdlm.log"
    good.write_text(CAPPED)
    bad.write_text("Traceback (most recent call last):\n")
    assert report.report([str(good), str(bad)]) == 1
    out = capsys.readouterr().out
    assert re.search(r"bd3 \(B=4\): train 130 steps in 3\.9 s \(capped\): 2,184,533 target tokens/s", out)
    assert "projected 30 s for 60568 windows on 8 rank(s)" in out and "FAILED" in out


@pytest.mark.slow
def test_gpu_check_script_runs_tiny_on_cpu(tmp_path):
    pytest.importorskip("torch")
    env = dict(os.environ, GPU_CHECK_TINY="1", GPU_CHECK_DIR=str(tmp_path), OMP_NUM_THREADS="1", TRAIN_SECONDS="2")
    run = subprocess.run(["bash", str(ROOT / "benchmarks" / "gpu_check.sh")], env=env, capture_output=True, text=True,
                         timeout=900)
    out = run.stdout
    assert run.returncode == 0, run.stderr[-2000:] + out[-2000:]
    for name, mode in (("ar", "ar"), ("bd3 (B=4)", "bd3"), ("mdlm", "l2r")):
        assert re.search(rf"^gpu_check: {re.escape(name)}: train \d+ steps in [\d.]+ s \(capped\)", out, re.M), out
        assert re.search(rf"^gpu_check: {re.escape(name)}: legal eval {mode} window \d+: .* fits;", out, re.M), out
        assert re.search(rf"^gpu_check: {re.escape(name)}: scored val_bpb [\d.]+ .* self-test pass$", out, re.M), out
