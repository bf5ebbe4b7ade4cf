"""GC507 — a submission PR changes something other than one new folder under records/<track>/."""

import os
from pathlib import Path

from golfcheck.checks.examples import TRAIN_GPT, good_files
from golfcheck.findings import Finding, Severity
from golfcheck.rule import Example, Rule, Ruling
from golfcheck.submission import SKIP_DIRS

# A folder inside the submission that is itself a complete submission: two submissions in one PR.
_SUBMISSION_FILES = ("submission.json", "README.md")


class PrOutsideOneFolder(Rule):
    id = "GC507"
    name = "pr-outside-one-folder"
    severity = Severity.ERROR
    kind = "paperwork"
    scope = "folder"
    summary = "A submission PR must add exactly one new records/<track>/<name>/ folder and change nothing else."
    rationale = (
        "The README's submission process: a PR \"only adds a new folder to the appropriate /records "
        "subfolder\". Edits to the training script at the repository root, to merged records or to the "
        "leaderboard cannot be reviewed as part of a submission, and two submissions in one PR cannot be "
        "accepted or rejected separately. `golfcheck gate` checks the PR's diff; on a folder, this rule "
        "reports a nested folder that is a submission of its own."
    )
    looks_for = ("Gate: every path of `git diff --name-status base...head` is an added file under one "
                 "records/track_10min_16mb/<name>/ or records/track_non_record_16mb/<name>/ folder that does "
                 "not exist on the base branch. Folder: a subfolder holding its own submission.json and README.md.")
    traps = ("A rename out of another folder is a deletion there plus an addition here (renames are not followed).",
             "Subfolders of logs (e.g. ttt_eval/seed_42.log) are fine; a nested submission.json + README.md is not.")
    rulings = (Ruling("README: Submission Process", "https://github.com/openai/parameter-golf#submission-process",
                      "a PR only adds a new folder to the appropriate /records subfolder"),
               Ruling("Issue #561 (README-only leaderboard update)", "https://github.com/openai/parameter-golf/issues/561",
                      "#545 was not packaged as a self-contained /records submission"))

    def check(self, ctx):
        sub = getattr(ctx, "submission", None)
        if sub is None or not Path(sub.root).is_dir():
            return []
        out = []
        root = Path(sub.root)
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
            here = Path(dirpath)
            if here != root and all(name in filenames for name in _SUBMISSION_FILES):
                rel = here.relative_to(root).as_posix()
                out.append(Finding(self.id, self.severity, f"{rel}/submission.json", 1, 0,
                                   f"{rel}/ is a submission of its own (submission.json and README.md): "
                                   f"one PR adds one submission folder", ruling=self.ruling_text()))
        return out

    VALID = (
        Example(TRAIN_GPT, files=good_files(), trap="one folder"),
        Example(TRAIN_GPT, files={**good_files(), "eval_only/seed_42.log": good_files()["train_seed42.log"]},
                trap="a subfolder of eval logs"),
    )
    INVALID = (
        Example(TRAIN_GPT, files={**good_files(), "ablation/README.md": "# Ablation\n",
                                  "ablation/submission.json": "{}\n"},
                trap="a second submission nested in the folder", lines=(1,)),
    )
