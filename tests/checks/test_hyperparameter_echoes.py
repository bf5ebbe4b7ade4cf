from golfcheck.logs import hyperparameter_echoes

LOG = """\
Hyperparameters:
  num_layers: 11
  compressor: brotli
  artifact_dir: 
Source code:
import os
from torch import nn
def main():
    x: int = 3
    pass
class A:
    pass
====================================================================================================
Running Python 3.12.3
world_size:8 grad_accum_steps:1
seed:42
step:1/20000 train_loss:6.9316 train_time:136ms step_avg:135.73ms
4500/20000 train_loss: 2.8134 train_time: 8.7m tok/s: 6805522
stopping_early: wallclock_cap train_time:600058ms step:6922/20000
1776143501.933 ttt_lr: 0.005
"""


def test_block_compact_and_single_lines():
    d = hyperparameter_echoes(LOG)
    assert d["num_layers"] == "11"
    assert d["compressor"] == "brotli"
    assert d["artifact_dir"] == ""
    assert d["world_size"] == "8" and d["grad_accum_steps"] == "1"
    assert d["seed"] == "42"
    assert d["ttt_lr"] == "0.005"  # timestamp prefix stripped


def test_code_and_progress_are_not_echoes():
    d = hyperparameter_echoes(LOG)
    assert "x" not in d
    assert "step" not in d and "train_loss" not in d and "stopping_early" not in d


def test_first_occurrence_wins_and_garbage_is_empty():
    assert hyperparameter_echoes("seed: 1\nseed: 2\n")["seed"] == "1"
    assert hyperparameter_echoes("") == {}
    assert hyperparameter_echoes("\x00\xff\ufffd" * 100) == {}
