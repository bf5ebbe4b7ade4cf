"""Malformed, truncated, binary and huge inputs give a clear error or a finding, never a traceback."""

import json
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from golfcheck.checks.examples import good_files, log
from golfcheck.checks.folder import check_folder
from golfcheck.checks.metadata import check_metadata, load_json
from golfcheck.logs import hyperparameter_echoes, parse_log, select_scored
from golfcheck.submission import load_submission

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
FOLDERS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

LOG_ALPHABET = st.sampled_from(list("0123456789.:=/ _-|\n\tabcdefgilmnopqrstuvwxyz{}[]\"") + [
    "val_bpb:", "val_loss:", "final_int8_zlib_roundtrip_exact ", "quantized_ttt_phased ", "seed:", "step:",
    "stopping_early: wallclock_cap train_time:", "Total submission size int8+zlib: ", "Serialized model ",
    "Hyperparameters:\n", "====================\n", "import os\n", "def f():\n", "\x00", "\ufffd", "1776143501.933 "])

log_text = st.lists(LOG_ALPHABET, max_size=300).map("".join)


@FAST
@given(log_text)
def test_log_parser_never_raises(text):
    lf = parse_log(text, "x.log")
    for run in lf.runs:
        select_scored(run)
        select_scored(run, 1.0)
        run.eval_seconds(), run.train_seconds, run.eval_upper_seconds
    hyperparameter_echoes(text)


@FAST
@given(st.binary(max_size=2000))
def test_log_parser_on_binary(data):
    parse_log(data.decode("utf-8", errors="replace"))
    hyperparameter_echoes(data.decode("latin-1"))


@FAST
@given(st.integers(min_value=0, max_value=len(log(42))))
def test_truncated_logs(cut):
    lf = parse_log(log(42)[:cut])
    for run in lf.runs:
        select_scored(run, 1.0001)


def test_huge_inputs_are_linear():
    line = "final_int8_zlib_roundtrip val_loss:" + "1" * 2_000_000 + "\n"
    many = "step:1/2 train_loss:1.0 train_time:1ms step_avg:1.0ms\n" * 50_000
    t = time.monotonic()
    parse_log(line + many)
    hyperparameter_echoes("k: v\n" * 50_000)
    assert time.monotonic() - t < 20


json_values = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=False) | st.integers() | st.text(max_size=20),
    lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=10), c, max_size=5), max_leaves=20)


@FOLDERS
@given(st.dictionaries(st.sampled_from(["val_bpb", "seeds", "seed_results", "bytes_total", "val_bpb_std",
                                        "val_loss", "track", "seed_scores", "author", "compliance"]), json_values))
def test_json_loader_on_arbitrary_json(tmp_path_factory, data):
    root = tmp_path_factory.mktemp("2026-05-01_J")
    for rel, text in good_files().items():
        (root / rel).write_text(text)
    (root / "submission.json").write_text(json.dumps(data))
    sub = load_submission(root)
    res = check_metadata(sub, "record")
    assert all(f.line >= 1 for f in res.findings)


@FOLDERS
@given(st.binary(max_size=3000))
def test_json_loader_on_bytes(tmp_path_factory, data):
    root = tmp_path_factory.mktemp("2026-05-01_B")
    (root / "submission.json").write_bytes(data)
    sub = load_submission(root)
    loaded = load_json(sub)
    if loaded.problem:
        assert loaded.line >= 1
    res = check_metadata(sub, "record")
    assert all(f.rule.startswith("GC6") for f in res.findings)


def test_whole_folder_of_garbage(make_folder):
    root = make_folder({"train_gpt.py": b"\x00\xff" * 100, "submission.json": b"\xff{",
                        "train_seed1.log": b"val_bpb:\x00\x00" * 1000, "final_model.int8.ptz": b"\x78\x9c garbage"})
    rep = check_folder(root, run_audit=False)
    assert rep.paperwork_verdict.value == "INCOMPLETE" and rep.verdict.value in ("INCOMPLETE", "ILLEGAL")
    assert any(f.rule == "GC604" for f in rep.findings)
    json.dumps(rep.to_dict(), default=str)


def test_huge_and_deeply_nested_json(make_folder):
    root = make_folder({"submission.json": '{"a": "' + "x" * (5 * 1024 * 1024) + '"}'}, "2026-05-01_Huge")
    (f,) = [f for f in check_metadata(load_submission(root), "record").findings if f.rule == "GC604"]
    assert "too large" in f.message
    root = make_folder({"submission.json": "[" * 100_000 + "]" * 100_000}, "2026-05-01_Deep")
    fs = [f for f in check_metadata(load_submission(root), "record").findings if f.rule == "GC604"]
    assert fs and fs[0].line >= 1
