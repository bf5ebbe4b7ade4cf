"""Which SOTA a submission is compared with: the leaderboard entry is named with the reason, a
record is never compared with itself, and a folder without a date is warned about."""

import json

from golfcheck.checks.examples import good_files
from golfcheck.checks.significance import load_leaderboard, sota_from_leaderboard, validate
from golfcheck.cli import main
from golfcheck.submission import load_submission


def test_leaderboard_entry_is_named_with_why(make_folder, capsys):
    root = make_folder(good_files(), "2026-04-10_Mine")
    board = load_leaderboard()
    before = [r for r in board["rows"] if r["frontier"] and r["date"] < "2026-04-10"]
    best = min(before, key=lambda r: r["mean"])
    main(["validate", str(root), "--format", "json"])
    sota = json.loads(capsys.readouterr().out)["sota"]
    assert sota["name"] == best["folder"] and sota["source"] == "leaderboard"
    assert f"among the {len(before)} merged record-track entries" in sota["why"]
    assert "dated before 2026-04-10" in sota["why"] and board["snapshot"] in sota["why"]
    main(["validate", str(root)])
    assert f"  chosen: the lowest mean ({best['mean']:.8f}" in capsys.readouterr().out


def test_a_folder_without_a_date_is_warned_about(make_folder):
    files = good_files()
    files["submission.json"] = files["submission.json"].replace('"date": "2026-05-01",', "")
    sub = load_submission(make_folder(files, "MyRun"))
    res = validate(sub)
    (f,) = [f for f in res.findings if "no YYYY-MM-DD date" in f.message]
    assert f.severity.value == "warning" and f.kind == "paperwork" and "name the folder YYYY-MM-DD_Name" in f.message
    assert "the submission has no date" in res.sota.why
    # a date in submission.json is the submission's date too (the bundled example's folder is "example")
    files = good_files()
    files["submission.json"] = files["submission.json"].replace('"date": "2026-05-01"', '"date": "2026-04-10"')
    dated = validate(load_submission(make_folder(files, "example")))
    assert not [f for f in dated.findings if "no YYYY-MM-DD date" in f.message]
    assert "dated before 2026-04-10" in dated.sota.why


def test_sota_folder_equal_to_the_folder_is_refused(make_folder, capsys):
    root = make_folder(good_files(), "2026-05-01_Mine")
    assert main(["validate", str(root), "--sota", str(root)]) == 2
    assert "cannot be compared with itself" in capsys.readouterr().err
    twin = make_folder(good_files(), "2026-05-02_RenamedCopy")  # same per-seed values under another name
    assert main(["validate", str(root), "--sota", str(twin)]) == 2


def test_a_leaderboard_row_with_the_same_values_is_not_the_sota():
    board = load_leaderboard()
    row = min((r for r in board["rows"] if r["frontier"]), key=lambda r: r["mean"])
    values = [float(v) for v in row["seeds"].values()]
    assert sota_from_leaderboard("2099-01-01_Copy", board).name == row["folder"]
    other = sota_from_leaderboard("2099-01-01_Copy", board, values=values)
    assert other is not None and other.name != row["folder"]


def test_writeup_says_why_the_entry_was_chosen(make_folder, capsys):
    root = make_folder(good_files(), "2026-04-10_Mine")
    main(["writeup", str(root), "--format", "json"])
    readme = next(iter(json.loads(capsys.readouterr().out)["files"].values()))
    assert "Chosen as the lowest mean" in readme
