"""`golfcheck pack`: one self-contained train_gpt.py that runs and logs in the reference format."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from golfcheck.pack import compress_source, pack_source

EXAMPLE = Path(__file__).resolve().parents[2] / "golfcheck" / "data" / "example"


def test_packed_source_is_self_contained():
    src = pack_source()
    tree = ast.parse(src)
    for node in tree.body:  # no top-level import of the package it came from
        if isinstance(node, ast.ImportFrom):
            assert node.level == 0 and not (node.module or "").startswith(("golfcheck", "reference_model"))
        if isinstance(node, ast.Import):
            assert not any(a.name.startswith(("golfcheck", "reference_model")) for a in node.names)
    assert src.count('if __name__ == "__main__":') == 1
    assert "def build_luts" in src and "def l2r_nats" in src


def test_compressed_wrapper_round_trips():
    import base64
    import lzma

    src = pack_source()
    stub = compress_source(src)
    payload = re.search(r'b85decode\("([^"]+)"\)', stub).group(1)
    assert lzma.decompress(base64.b85decode(payload)).decode() == src
    assert len(stub) < len(src) / 2


def test_example_train_gpt_is_current():
    """The bundled example must be the packed current package (re-run `golfcheck pack` otherwise)."""
    assert (EXAMPLE / "train_gpt.py").read_text(encoding="utf-8") == pack_source()


@pytest.mark.slow
def test_packed_script_runs_and_logs(tmp_path):
    pytest.importorskip("torch")
    script = tmp_path / "train_gpt.py"
    script.write_text(compress_source(pack_source()), encoding="utf-8")
    env = dict(os.environ, ITERATIONS="200", MAX_WALLCLOCK_SECONDS="0.5", VAL_MAX_TOKENS="256", ELBO_T="2",
               TRAIN_LOG_EVERY="1", SEED="5", PYTHONPATH="", PREQUANT_EVAL="1")
    run = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=300)
    log = run.stdout
    assert run.returncode == 0, run.stderr[-2000:]
    assert re.search(r"^seed:5$", log, re.M) and re.search(r"^  seed: 5$", log, re.M)
    assert re.search(r"^world_size:1 grad_accum_steps:1$", log, re.M)
    assert re.search(r"^val_loader:shards pattern=embedded:embedded-\w+/fineweb_val_\*\.bin tokens:\d+$", log, re.M)
    assert re.search(r"^model_params:589952$", log, re.M)
    assert re.search(r"^eval_budget: mode:l2r block:1 seq_len:128 windows:2 world_size:1 seconds_per_window:[\d.]+ "
                     r"projected_eval_seconds:[\d.]+ max_eval_seconds:600 scope:subset fits:yes tried:128=", log, re.M)
    assert re.search(r"^step:\d+/200 train_loss:[\d.]+ train_time:\d+ms step_avg:[\d.]+ms$", log, re.M)
    assert re.search(r"^stopping_early: wallclock_cap train_time:\d+ms step:\d+/200$", log, re.M)
    assert re.search(r"^step:\d+/200 val_loss:[\d.]+ val_bpb:[\d.]+ train_time:\d+ms step_avg:[\d.]+ms$", log, re.M)
    assert "val_subset:" in log and re.search(r"^train_nelbo:[\d.]+", log, re.M)
    assert re.search(r"^val_elbo T:2 val_elbo_loss:[\d.]+ val_elbo_bpb:[\d.]+", log, re.M)
    code = int(re.search(r"^Code size: (\d+) bytes$", log, re.M).group(1))
    model = int(re.search(r"^Serialized model int8\+zlib: (\d+) bytes \(payload:\d+ raw_torch:\d+ "
                          r"payload_ratio:[\d.]+x\)$", log, re.M).group(1))
    total = int(re.search(r"^Total submission size int8\+zlib: (\d+) bytes$", log, re.M).group(1))
    assert code == script.stat().st_size and model == (tmp_path / "final_model.int8.ptz").stat().st_size
    assert total == code + model
    assert re.search(r"^final_int8_zlib_roundtrip val_loss:\d\.\d{4} val_bpb:\d\.\d{4} eval_time:\d+ms "
                     r"eval_mode:l2r eval_block:1 seq_len:128 tokens:256 ", log, re.M)
    assert re.search(r"^final_int8_zlib_roundtrip_exact val_loss:\d\.\d{8} val_bpb:\d\.\d{8}$", log, re.M)
    assert re.search(r"^causality_selftest:pass windows:2 cuts:2,3,65,128 ", log, re.M)
