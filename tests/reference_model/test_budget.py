"""The evaluation's time budget (with a fake clock) and the trainer's settings that guard it."""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from reference_model.evaluate import plan_eval, seconds_per_window, window_candidates  # noqa: E402
from reference_model.train import Hyperparameters, lr_scale, training_progress  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


class FakeClock:
    """A clock that a fake scorer advances: ``cost`` seconds per window, plus ``warmup`` on the first
    call (compilation), so the test knows the exact time each call took."""

    def __init__(self, cost: float, warmup: float = 0.0):
        self.now, self.cost, self.warmup, self.calls = 100.0, cost, warmup, 0

    def __call__(self) -> float:
        return self.now

    def score(self, x: torch.Tensor) -> None:
        self.now += self.cost * x.size(0) + (self.warmup if self.calls == 0 else 0.0)
        self.calls += 1


def test_seconds_per_window_times_the_second_batch_only():
    clock = FakeClock(cost=0.25, warmup=30.0)
    spw = seconds_per_window(clock.score, torch.zeros(20, 9), batch_windows=8, clock=clock)
    assert spw == pytest.approx(0.25) and clock.calls == 2  # the 30 s warm-up is not in the figure
    small = FakeClock(cost=0.5, warmup=9.0)  # fewer windows than a batch: the same batch again
    assert seconds_per_window(small.score, torch.zeros(3, 9), 8, clock=small) == pytest.approx(0.5)


def test_plan_picks_the_longest_window_that_fits_and_stops_measuring():
    # an MDLM chain rule: L forward passes of L + 1 tokens per window, so seconds per window ~ L^2
    measured = []

    def measure(L):
        measured.append(L)
        return 1e-5 * L * (L + 1)

    n_windows = lambda L: math.ceil(1_000_000 / L)  # noqa: E731
    plan = plan_eval(window_candidates(0, 1024), measure, n_windows, world_size=8, max_seconds=600)
    # projected: ceil(ceil(1e6/L) / 8) * 1e-5 L (L+1) -> 1024: 1281 s, 512: 641 s, 256: 321 s
    assert plan.fits and plan.seq_len == 256 and measured == [1024, 512, 256]
    assert plan.windows == 3907 and plan.projected_seconds == pytest.approx(489 * 1e-5 * 256 * 257)
    assert [L for L, _ in plan.tried] == [1024, 512, 256] and plan.tried[0][1] > 600


def test_plan_reports_when_nothing_fits_and_when_there_is_no_budget():
    plan = plan_eval([128], lambda L: 2.0, lambda L: 1000, world_size=1, max_seconds=600)
    assert not plan.fits and plan.seq_len == 128 and plan.projected_seconds == 2000.0
    unbounded = plan_eval([128, 64], lambda L: 2.0, lambda L: 1000, world_size=1, max_seconds=0)
    assert unbounded.fits and unbounded.seq_len == 128
    assert plan_eval([64], lambda L: 1.0, lambda L: 9, world_size=4, max_seconds=10).projected_seconds == 3.0


def test_window_candidates():
    assert window_candidates(0, 128) == [128, 64, 32, 16]
    assert window_candidates(0, 1024, shortest=256) == [1024, 512, 256]
    assert window_candidates(96, 128) == [96]


def test_no_wallclock_cap_is_not_a_division_by_zero():
    """MAX_WALLCLOCK_SECONDS=0 means no cap (as in the challenge's baseline): progress is by steps."""
    args = Hyperparameters(iterations=200, max_wallclock_seconds=0.0)
    assert training_progress(50, 123_456.0, args) == 0.25
    assert 0 < lr_scale(50, training_progress(50, 123_456.0, args), args) <= 1
    capped = Hyperparameters(iterations=200, max_wallclock_seconds=100.0)
    assert training_progress(50, 60_000.0, capped) == 0.6  # wallclock further along than steps


def _train(env: dict, tmp_path) -> subprocess.CompletedProcess:
    full = dict(os.environ, PYTHONPATH=str(ROOT), ARTIFACT_DIR=str(tmp_path), OMP_NUM_THREADS="1", **env)
    return subprocess.run([sys.executable, "-m", "reference_model.train"], cwd=tmp_path, env=full,
                          capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_trainer_refuses_an_evaluation_over_budget(tmp_path):
    run = _train(dict(EVAL_SEQ_LEN="32", MAX_EVAL_SECONDS="0.000001", EVAL_BATCH_WINDOWS="1", ITERATIONS="1"),
                 tmp_path)
    assert run.returncode == 2, run.stderr[-2000:]
    err = [ln for ln in run.stderr.splitlines() if ln.strip()]
    assert len(err) == 1 and "Traceback" not in run.stderr
    assert err[0].startswith("error: eval_budget:") and "EVAL_SEQ_LEN" in err[0] and "MAX_EVAL_SECONDS" in err[0]
    assert re.search(r"^eval_budget: mode:l2r block:1 seq_len:32 .* fits:no ", run.stdout, re.M)
    assert "step:1/1" not in run.stdout  # refused before training
    assert not (tmp_path / "final_model.int8.ptz").exists()


@pytest.mark.slow
def test_block_diffusion_run_without_wallclock_cap(tmp_path):
    run = _train(dict(OBJECTIVE="bd3", BLOCK_SIZE="4", MAX_WALLCLOCK_SECONDS="0", ITERATIONS="3", TRAIN_LOG_EVERY="1",
                      VAL_MAX_TOKENS="512", TRAIN_SEQ_LEN="64", TRAIN_BATCH_TOKENS="512"), tmp_path)
    log = run.stdout
    assert run.returncode == 0, run.stderr[-2000:]
    assert re.search(r"^step:3/3 train_loss:[\d.]+ ", log, re.M) and "stopping_early" not in log
    assert re.search(r"^eval_budget: mode:bd3 block:4 seq_len:64 windows:8 world_size:1 seconds_per_window:[\d.]+ "
                     r"projected_eval_seconds:[\d.]+ max_eval_seconds:600 scope:subset fits:yes tried:64=[\d.]+s$",
                     log, re.M)
    assert re.search(r"^final_int8_zlib_roundtrip val_loss:[\d.]+ val_bpb:[\d.]+ eval_time:\d+ms eval_mode:bd3 "
                     r"block_size:4 seq_len:64 tokens:512 bytes:\d+$", log, re.M)
    assert re.search(r"^causality_selftest:pass windows:2 cuts:2,5,6,33,64 ", log, re.M)
    assert "val_elbo" not in log  # the ELBO diagnostic is the MDLM's
