"""GC504/GC505 budgets from the logs and the hardware they show."""

from golfcheck.checks.examples import GOOD_SEEDS, good_files, log, submission_json
from golfcheck.checks.wallclock import check_wallclock
from golfcheck.submission import load_submission


def _findings(root, profile="record"):
    return check_wallclock(load_submission(root), profile).findings


def test_clean_folder_has_no_budget_findings(make_folder):
    assert _findings(make_folder(good_files())) == []


def test_overshoot_within_one_step_is_a_note_and_beyond_errors(make_folder):
    files = good_files()
    files["train_seed42.log"] = log(42, 1.0001, train_ms=600_090)
    files["train_seed314.log"] = log(314, 1.0003, train_ms=601_153)  # PR #1956's FORCE_STOP_STEP run
    fs = _findings(make_folder(files))
    by_log = {f.path.rsplit("/", 1)[-1]: f for f in fs if f.rule == "GC504"}
    # the baseline checks the wallclock after each step: one step past 600 s is how every record stops
    assert by_log["train_seed42.log"].severity.value == "note" and by_log["train_seed42.log"].line == 6
    assert "as in the baseline" in by_log["train_seed42.log"].message
    assert by_log["train_seed314.log"].severity.value == "error"


def test_hessian_collection_counts_toward_training(make_folder):
    """A few seconds past 600 s with GPTQ on training data has merged precedent: a warning naming it."""
    files = good_files()
    files["train_seed42.log"] = log(42, 1.0001, train_ms=599_600) + "gptq:reserving 0.5s, effective=599500ms\nGPTQ:collected 67 Hessians in 3.5s\n"
    (f,) = [f for f in _findings(make_folder(files)) if f.rule == "GC504"]
    assert f.severity.value == "warning" and f.kind == "rule"
    assert "603.100 s, 3.1 s past" in f.message and "GPTQ reserve of 0.5 s is smaller" in f.message
    assert "merged precedent" in f.message and "PR #1514" in f.message


def test_hessian_collection_far_past_the_budget_is_an_error(make_folder):
    files = good_files()
    files["train_seed42.log"] = log(42, 1.0001, train_ms=599_600) + "GPTQ:collected 67 Hessians in 20.5s\n"
    (f,) = [f for f in _findings(make_folder(files)) if f.rule == "GC504"]
    assert f.severity.value == "error" and "20.1 s past" in f.message and "precedent" not in f.message


def test_hessian_collection_inside_the_budget_is_silent(make_folder):
    files = good_files()
    files["train_seed42.log"] = log(42, 1.0001, train_ms=590_000) + "gptq:reserving 12s, effective=588000ms\nGPTQ:collected 67 Hessians in 9.5s\n"
    assert not [f for f in _findings(make_folder(files)) if f.rule == "GC504"]


def test_eval_over_600s_is_gc505(make_folder):
    files = good_files()
    files["train_seed999.log"] = log(999, 1.0002, eval_ms=617_000)
    (f,) = [f for f in _findings(make_folder(files)) if f.rule == "GC505"]
    assert f.severity.value == "error" and "617.0 s" in f.message and f.line == 10


def test_non_record_budgets_are_notes(make_folder):
    files = good_files()
    files["train_seed42.log"] = log(42, 1.0001, train_ms=14_400_000)
    fs = _findings(make_folder(files), "non-record")
    assert fs and all(f.severity.value == "note" for f in fs)


def test_hardware_from_json_and_logs(make_folder):
    files = good_files()
    files["submission.json"] = submission_json(GOOD_SEEDS, hardware="1xH100 80GB")
    files["train_seed42.log"] = log(42, 1.0001).replace("  world_size: 8", "  world_size: 1")
    found = [f for f in _findings(make_folder(files)) if f.rule == "GC504"]
    msgs = [f.message for f in found]
    assert any("world_size 1, 8" in m for m in msgs) and any("'1xH100 80GB'" in m for m in msgs)
    # which hardware ran is evidence about the timing: paperwork, never a rule breach by itself
    assert found and all(f.kind == "paperwork" for f in found)


def test_a_log_without_a_seed_line_is_still_held_to_the_budget(make_folder):
    """10-minute track: a log that shows 700 s of training is an error even when it prints no seed."""
    files = good_files()
    files["train_extra.log"] = log(7, 1.0004, train_ms=700_000).replace("  seed: 7\n", "")
    found = [f for f in _findings(make_folder(files)) if f.rule == "GC504" and f.path.endswith("train_extra.log")]
    assert found and found[0].severity.value == "error" and "700.000 s" in found[0].message


def test_an_evaluation_projection_is_read_from_the_log(make_folder):
    """reference_model/train.py logs `eval_budget:`; a projection past 600 s is a warning, one that fits a note."""
    line = ("eval_budget: mode:l2r block:1 seq_len:1024 windows:40000 world_size:8 seconds_per_window:0.12 "
            "projected_eval_seconds:{s} max_eval_seconds:600 scope:split fits:{fits} tried:1024={s}s\n")
    files = good_files()
    files["train_seed42.log"] = line.format(s="1450.0", fits="no") + log(42, 1.0001)
    (f,) = [f for f in _findings(make_folder(files)) if f.rule == "GC505"]
    assert f.severity.value == "warning" and "1450.0 s" in f.message and f.line == 1
    files["train_seed42.log"] = line.format(s="410.0", fits="yes") + log(42, 1.0001)
    (f,) = [f for f in _findings(make_folder(files)) if f.rule == "GC505"]
    assert f.severity.value == "note" and "fits" in f.message
