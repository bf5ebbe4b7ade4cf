"""Seeds in every form the logs use, and the scored line chosen by what submission.json claims.

The fixtures are written in the shape of two submission PRs: PR #779 (seed printed inside a config
line, `log_seed1337.txt` file names, per-seed values nested under `results.seeds`) and PR #1376
(the scored `final_slot_exact` line printed after the sliding-window line, per-seed values in a
`val_bpb_exact` list parallel to `seeds`).
"""

import json

import pytest

from golfcheck.checks.runs import analyse_logs
from golfcheck.checks.significance import validate
from golfcheck.cli import main
from golfcheck.logs import parse_log, select_scored
from golfcheck.submission import load_submission

TRAIN_GPT = "import os\nSEED = int(os.environ.get('SEED', '1337'))\n"


def pr779_log(seed: int | None, bpb: float) -> str:
    """Seed only as a `seed:N` token at the end of a config line (or not at all)."""
    tail = f" seed:{seed}" if seed is not None else ""
    return (
        "val_bpb:enabled tokenizer_kind=sentencepiece tokenizer_path=./data/tokenizers/fineweb_1024_bpe.model\n"
        f"lr:embed=0.035 matrix=0.025 scalar=0.025 batch:786432 wall:600s{tail}\n"
        "step:5842/20000 val_loss:1.9038 val_bpb:1.1275 train_time:582079ms step_avg:99.64ms\n"
        "stopping_early: wallclock_cap train_time:582079ms step:5842/20000\n"
        "Serialized model int6+zstd: 15536713 bytes\n"
        f"Code size: {len(TRAIN_GPT)} bytes\n"
        f"Total submission size int6+zstd: {15536713 + len(TRAIN_GPT)} bytes\n"
        "final_int6_sliding_window_exact val_loss:1.91960907 val_bpb:1.13690062\n"
        f"final_int6_ttt val_loss:1.1250 val_bpb:{bpb:.4f} stride:64 eval_time:371474ms\n"
        f"final_int6_ttt_exact val_loss:1.12504361 val_bpb:{bpb:.8f}\n"
    )


PR779_SEEDS = {1337: 0.66631420, 42: 0.67100955, 2024: 0.66752260}


def pr779_folder(make_folder, seed_in_log=True):
    files = {"train_gpt.py": TRAIN_GPT, "README.md": "# BackoffNgramMixer\n"}
    for s, v in PR779_SEEDS.items():
        files[f"log_seed{s}.txt"] = pr779_log(s if seed_in_log else None, v)
    files["submission.json"] = json.dumps({
        "author": "A", "github_id": "a", "track": "10min_16mb",
        "results": {"seeds": {str(s): {"val_bpb": round(v, 4)} for s, v in PR779_SEEDS.items()},
                    "mean_val_bpb": 0.6683},
    })
    return make_folder(files, "2026-03-25_BackoffNgramMixer_DriftFreeTTT")


@pytest.mark.parametrize("seed_in_log", [True, False], ids=["seed-token-in-config-line", "file-name-only"])
def test_pr779_seeds_are_read(make_folder, seed_in_log):
    sub = load_submission(pr779_folder(make_folder, seed_in_log))
    res = analyse_logs(sub)
    assert sorted(res.seeds()) == [42, 1337, 2024]
    source = {r.run.log: r.seed_source for r in res.rows}
    if seed_in_log:
        assert source["log_seed42.txt"] == "log line 2"
    else:
        assert set(source.values()) == {"file name"}
    # the claims nested under results.seeds pick the TTT lines, and the values agree
    assert {s: r.run.scored.label for s, r in res.seeds().items()} == dict.fromkeys(PR779_SEEDS, "final_int6_ttt_exact")
    assert all(r.agrees for r in res.rows)
    assert not [f for f in res.findings if f.rule in ("GC602", "GC603")]
    assert len(validate(sub, 3, logs=res, use_leaderboard=False).seeds) == 3  # no "0 distinct seeds"


def test_pr779_writeup_renders(make_folder, capsys):
    root = pr779_folder(make_folder)
    assert main(["writeup", str(root), "--format", "json"]) in (0, 1)
    d = json.loads(capsys.readouterr().out)
    assert d["submission_json"]["seeds"] == [1337, 42, 2024]


def test_no_seed_says_which_log_and_what_form(make_folder):
    root = make_folder({"train.log": pr779_log(None, 1.1)})
    res = analyse_logs(load_submission(root))
    (f,) = [f for f in res.findings if "no seed found" in f.message]
    assert f.rule == "GC602" and f.kind == "paperwork" and f.path.endswith("train.log")
    assert "`seed: 42`" in f.message and "train_seed42.log" in f.message


@pytest.mark.parametrize("line, seed", [
    ("lr:embed=0.035 batch:786432 wall:600s seed:1337", 1337),
    ("seed:42 ema_enabled:True ema_decay:0.997", 42),
    ("=== RUN 2 (seed=7) ===", 7),
    ("SEED=2024 GPU_COUNT=8", 2024),
    ("=== Seed 314 ===", 314),
    ("params:73685840 L:10 d:768 h:8 kv:4 ws:8 ga:1 s:42", 42),
])
def test_seed_forms(line, seed):
    (run,) = parse_log(line + "\nfinal_roundtrip val_loss:2.0 val_bpb:1.2000\n").runs
    assert int(run.seed.value) == seed


@pytest.mark.parametrize("line", [
    "torch.manual_seed(args.seed)", "data_seed: 3", "model_path: /workspace/runs/seed_3/final_model.pt",
])
def test_not_seeds(line):
    (run,) = parse_log(line + "\nfinal_roundtrip val_loss:2.0 val_bpb:1.2000\n").runs
    assert run.seed is None


# ---------------------------------------------------------------- PR #1376: the claimed line
PR1376 = {1337: (1.11024787, 0.70636100), 42: (1.11102021, 0.70928310), 2025: (1.11211170, 0.71264962)}


def pr1376_log(seed: int, sliding: float, slot: float) -> str:
    return (
        f"seed:{seed}\n"
        "stopping_early: wallclock_cap train_time:600056ms step:5252/20000\n"
        "Serialized model int6+lzma: 15852916 bytes\n"
        f"Code size: {len(TRAIN_GPT)} bytes\n"
        f"Total submission size int6+lzma: {15852916 + len(TRAIN_GPT)} bytes\n"
        "final_int6_roundtrip val_loss:1.9111 val_bpb:1.1319 eval_time:50105ms\n"
        "final_int6_roundtrip_exact val_loss:1.91113250 val_bpb:1.13188032\n"
        f"final_int6_sliding_window val_loss:1.8746 val_bpb:{sliding:.4f} stride:64 eval_time:115162ms\n"
        f"final_int6_sliding_window_exact val_loss:1.87460206 val_bpb:{sliding:.8f}\n"
        f"final_slot val_loss:1.1927 val_bpb:{slot:.4f} steps:24 lr:0.024 time:272548ms\n"
        f"final_slot_exact val_loss:1.19265825 val_bpb:{slot:.8f}\n"
    )


def pr1376_folder(make_folder, per_seed=True):
    files = {"train_gpt.py": TRAIN_GPT, "README.md": "# SLOT\n"}
    for s, (a, b) in PR1376.items():
        files[f"train_seed{s}.log"] = pr1376_log(s, a, b)
    data = {"author": "A", "github_id": "a", "val_bpb": 0.7094, "seeds": list(PR1376)}
    if per_seed:
        data["val_bpb_exact"] = [b for _, b in PR1376.values()]
    files["submission.json"] = json.dumps(data)
    return make_folder(files, "2026-04-05_SLOT24")


@pytest.mark.parametrize("per_seed", [True, False], ids=["val_bpb_exact-list", "headline-mean-only"])
def test_pr1376_claimed_line_is_scored(make_folder, per_seed):
    from golfcheck.checks.metadata import check_metadata

    sub = load_submission(pr1376_folder(make_folder, per_seed))
    res = analyse_logs(sub)
    for s, row in res.seeds().items():
        assert row.run.scored.label == "final_slot_exact" and row.run.scored.bpb == PR1376[s][1]
        # eval time follows the same line: round-trip + sliding + SLOT passes, not the sliding pass alone
        assert row.run.eval_seconds() == pytest.approx(50.105 + 115.162 + 272.548)
    meta = check_metadata(sub, "record", res)
    assert not [f for f in res.findings + meta.findings if f.rule == "GC603"]  # no false disagreement
    if per_seed:
        assert res.seeds()[42].why() == "matches submission.json val_bpb_exact[1]: 0.7092831"
    else:
        assert "mean of this pass" in res.seeds()[42].why()


def test_skipped_later_lines_are_explained(make_folder, capsys):
    text = ("seed:42\n"
            "final_int6_sliding_window_exact val_loss:2.82000000 val_bpb:1.08938974 eval_time:84000ms\n"
            "final_int6_ttt val_loss:3.07421378 val_bpb:1.33603200 eval_time:405410ms\n")
    (run,) = parse_log(text).runs
    select_scored(run)
    ((m, why),) = run.skipped
    assert m.line == 3 and why.startswith("failed TTT")
    root = make_folder({"train_seed42.log": text})
    assert main(["logs", str(root), "--format", "json"]) == 0
    (r,) = json.loads(capsys.readouterr().out)["runs"]
    assert r["scored_line"] == 2 and r["skipped_lines"][0]["line"] == 3
    assert r["skipped_lines"][0]["reason"].startswith("failed TTT")
    main(["logs", str(root)])
    out = capsys.readouterr().out
    assert "why each scored line:" in out and "skipped later: line 3 `final_int6_ttt`" in out


def test_total_eval_time_of_another_pass_is_not_the_scored_lines(make_folder):
    text = ("seed:1\n"
            "final_int6_sliding_window_exact val_loss:2.82000000 val_bpb:1.08938974 eval_time:84000ms\n"
            "quantized_ttt_phased val_loss:2.77000000 val_bpb:1.07216564 eval_time:500104ms\n"
            "total_eval_time:590.1s\n")
    (run,) = parse_log(text).runs
    assert select_scored(run).eval_seconds() == 590.1  # the TTT line is scored: its total counts
    assert select_scored(run, 1.08938974).eval_seconds() == 84.0  # the claimed sliding line's own pass
