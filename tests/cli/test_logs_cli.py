import json


from golfcheck.checks.examples import good_files, log
from golfcheck.cli import main



RUN_KEYS = {"log", "seed", "val_bpb", "val_loss", "train_seconds", "eval_seconds", "total_bytes"}


def test_logs_json_contract(make_folder, capsys):
    root = make_folder(good_files())
    assert main(["logs", str(root), "--format", "json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert len(d["runs"]) == 3 and all(RUN_KEYS <= set(r) for r in d["runs"])
    r = {x["seed"]: x for x in d["runs"]}[42]
    assert r["val_bpb"] == 1.0001 and r["train_seconds"] == 590.0 and r["eval_seconds"] == 90.0
    assert r["total_bytes"] == 15_900_000 and r["log"] == "train_seed42.log"


def test_logs_nulls_where_a_log_does_not_say(make_folder, capsys):
    root = make_folder({"train.log": "step:1/10 train_loss:6.9 train_time:100ms step_avg:100.0ms\n"})
    main(["logs", str(root), "--format", "json"])
    (r,) = json.loads(capsys.readouterr().out)["runs"]
    assert r["seed"] is None and r["val_bpb"] is None and r["total_bytes"] is None and r["eval_seconds"] is None


def test_logs_text_and_seed_mismatch_exit_code(make_folder, capsys):
    files = good_files()
    files["train_seed999.log"] = log(7, 1.0002)  # file name says 999, the log ran 7
    root = make_folder(files)
    assert main(["logs", str(root)]) == 0  # GC506 is a warning
    out = capsys.readouterr()
    assert "train_seed42.log" in out.out and "GC506" in out.out and "file name says seed 999" in out.out
    assert main(["logs", str(root), "--fail-on", "warning"]) == 1


def test_logs_missing_folder_is_usage_error(tmp_path, capsys):
    assert main(["logs", str(tmp_path / "nope")]) == 2
    assert "golfcheck:" in capsys.readouterr().err


def test_logs_refuses_a_python_file(make_folder, capsys):
    root = make_folder(good_files())
    (root / "train_gpt.py").write_text("print('val_bpb:1.0')\n", encoding="utf-8")
    assert main(["logs", str(root / "train_gpt.py")]) == 2
    assert capsys.readouterr().err.strip() == (f"golfcheck: {root / 'train_gpt.py'}: is Python code, not a training "
                                               "log: give a log file or a submission folder")
    assert main(["logs", str(root / "train_seed42.log")]) == 0  # a log file on its own still works
