"""Log families of SUBMISSION_FORMAT §3 on small hand-written logs."""

import pytest

from golfcheck.logs import clean_lines, decimals_of, matches, parse_log, select_scored

BASELINE = """\
import os
import torch
def main():
    log0(f"final_int8_zlib_roundtrip_exact val_loss:{q:.8f} val_bpb:{b:.8f}")
class Hyperparameters:
    pass
====================================================================================================
Running Python 3.12.3
Running PyTorch 2.9.1+cu128
| NVIDIA-SMI 550.54.15    Driver Version: 550.54.15    CUDA Version: 12.4 |
|   0  NVIDIA H100 80GB HBM3          On  |   00000000:18:00.0 Off |                    0 |
|   1  NVIDIA H100 80GB HBM3          On  |   00000000:2A:00.0 Off |                    0 |
====================================================================================================
val_loader:shards pattern=./data/datasets/fineweb10B_sp1024/fineweb_val_*.bin tokens:62021632
world_size:8 grad_accum_steps:1
seed:1337
step:13780/20000 val_loss:2.0606 val_bpb:1.2172 train_time:600038ms step_avg:43.54ms
stopping_early: wallclock_cap train_time:600038ms step:13780/20000
Serialized model: 67224983 bytes
Code size: 47642 bytes
Total submission size: 67272625 bytes
Serialized model int8+zlib: 15815847 bytes (payload:17178912 raw_torch:17224025 payload_ratio:3.91x)
Total submission size int8+zlib: 15863489 bytes
final_int8_zlib_roundtrip val_loss:2.0727 val_bpb:1.2244 eval_time:1401ms
final_int8_zlib_roundtrip_exact val_loss:2.07269931 val_bpb:1.22436570
"""


def test_baseline_family_and_code_listing_stripped():
    lf = parse_log(BASELINE, "train.log")
    (run,) = lf.runs
    select_scored(run)
    assert run.scored.label == "final_int8_zlib_roundtrip_exact" and run.scored.bpb == 1.2243657
    assert run.scored.line == 25
    assert int(run.seed.value) == 1337 and int(run.world_size.value) == 8
    assert run.gpu_count == 2 and run.gpu_names == ["H100 80GB HBM3"]
    assert run.train_seconds == 600.038 and run.stop_step == 13780
    assert int(run.total_bytes.value) == 15863489  # not the raw state-dict total before it
    assert int(run.model_bytes.value) == 15815847 and run.model_format == "int8+zlib"
    assert int(run.code_bytes.value) == 47642
    assert run.eval_seconds() == 1.401
    assert int(run.val_tokens.value) == 62021632
    assert not any("{" in m.bpb_text for m in run.metrics)  # code templates never match


def test_timestamps_and_corpus_marker():
    text = ("[golfcheck-corpus: embedded source listing removed]\n"
            "1776143501.933 seed: 0\n"
            "1776143502.001 diagnostic quantized val_loss:2.79852399 val_bpb:1.08336093 eval_time:55851ms\n"
            "1776143999.000 quantized_ttt_phased val_loss:2.77000000 val_bpb:1.07216564 eval_time:500104ms\n"
            "1776144000.000 total_eval_time:500.1s\n")
    (run,) = parse_log(text).runs
    select_scored(run)
    assert run.scored.label == "quantized_ttt_phased"  # `diagnostic` lines are never scores
    assert run.eval_seconds() == 500.1 and int(run.seed.value) == 0
    assert [ln.no for ln in clean_lines(text)] == [2, 3, 4, 5]


def test_failed_ttt_is_skipped_and_json_claim_wins():
    text = ("seed:42\n"
            "final_int6_sliding_window val_loss:2.82000000 val_bpb:1.08938974 eval_time:84000ms\n"
            "final_int6_ttt val_loss:3.07421378 val_bpb:1.33603200 eval_time:405410ms\n")
    (run,) = parse_log(text).runs
    assert select_scored(run).scored.bpb == 1.08938974
    assert select_scored(run, 1.336032).scored.label == "final_int6_ttt"


def test_multiple_runs_split_at_repeated_headers():
    one = "seed:1337\nstep:1/10 train_loss:6.9 train_time:100ms step_avg:100.0ms\nfinal_roundtrip val_loss:2.0 val_bpb:1.2000\n"
    lf = parse_log(one + one.replace("1.2000", "1.1000"))
    assert len(lf.runs) == 2
    assert [select_scored(r).scored.bpb for r in lf.runs] == [1.2, 1.1]
    assert lf.runs[1].start_line == 4


def test_other_families():
    text = ("params:73685840 L:10 d:768 h:8 kv:4 ws:8 ga:1 s:42\n"
            "step:1000/10000 loss:3.3139 t:91682ms avg:91.7ms\n"
            "4500/20000 train_loss: 2.8134 train_time: 8.7m tok/s: 6805522\n"
            "budget:15993853/16000000 (15.99/16.00MB) FITS\n"
            "final_sliding val_loss:2.9869 val_bpb:1.1565 (stride=16, T=0.90) eval_time:429311ms\n"
            "ttt_sliding:done val_loss=1.891102 val_bpb=1.120020 elapsed=407.5s\n"
            "legal_ttt_exact val_loss:1.89110200 val_bpb:1.12002032 eval_time:408049ms\n"
            "GPTQ:collected 67 Hessians in 3.5s\n"
            "gptq:reserving 0.5s, effective=599500ms\n")
    (run,) = parse_log(text).runs
    assert int(run.seed.value) == 42 and int(run.world_size.value) == 8
    assert int(run.total_bytes.value) == 15993853 and run.budget_verdict == "FITS"
    assert float(run.hessian_s.value) == 3.5 and float(run.gptq_reserve_s.value) == 0.5
    assert run.train_ms.value == 522000  # last step line (8.7 min) when no stopping_early line
    select_scored(run)
    assert run.scored.label == "legal_ttt_exact"


def test_eval_only_json_summary():
    text = ('[19:23:20] RUN seed=42\n{\n  "seed": 42,\n  "post_ttt_val_loss": 2.32843161,\n'
            '  "post_ttt_val_bpb": 1.06400238,\n  "post_ttt_eval_time_ms": 525719\n}\n'
            '[19:35:17] RUN seed=0\n{\n  "seed": 0,\n  "post_ttt_val_bpb": 1.06307957\n}\n')
    runs = parse_log(text).runs
    assert [int(r.seed.value) for r in runs] == [42, 0]
    assert select_scored(runs[0]).scored.bpb == 1.06400238 and runs[0].eval_seconds() == 525.719


def test_precision_matching():
    assert decimals_of(1.064) == 3 and decimals_of("1.06400") == 3 and decimals_of(1.0) == 0
    (run,) = parse_log("seed:1\nquantized_ttt val_loss:2.7 val_bpb:1.06400238 eval_time:1ms\n").runs
    assert matches(run.metrics[0], 1.064) and not matches(run.metrics[0], 1.0641)


@pytest.mark.parametrize("text", ["", "\n\n", "\x00\x01\x02", "val_bpb:", "final_x val_loss:1 val_bpb:2"])
def test_degenerate_logs(text):
    lf = parse_log(text)
    for run in lf.runs:
        select_scored(run)
        run.eval_seconds()
