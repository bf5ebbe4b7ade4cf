"""GC605 — the submission folder lacks a required file or has a bad name."""

from golfcheck.checks.examples import TRAIN_GPT, good_files
from golfcheck.checks.rulebase import folder_findings
from golfcheck.findings import Severity
from golfcheck.rule import Example, Rule, Ruling

_NO_README = {k: v for k, v in good_files().items() if k != "README.md"}
_NO_LOGS = {k: v for k, v in good_files().items() if not k.endswith(".log")}


class FolderLayout(Rule):
    id = "GC605"
    name = "folder-layout"
    severity = Severity.ERROR
    kind = "paperwork"
    scope = "folder"
    summary = "Missing README.md, submission.json, train_gpt.py or a train log, or a bad folder name."
    rationale = (
        "A PR adds exactly one folder under records/track_10min_16mb/ or records/track_non_record_16mb/ "
        "holding README.md, submission.json, the train logs and train_gpt.py, which must run inside the "
        "folder. Maintainers rejected entries without submission.json or logs (#505, #545). The folder name "
        "is YYYY-MM-DD_Name without spaces so that records sort by date."
    )
    looks_for = "The folder inventory: required files, submission_*.json variants, script names, folder name."
    traps = ("12 of 60 merged folders miss a required file: use --history for merged records.",)
    rulings = (Ruling("Issue #561 (README-only leaderboard update)", "https://github.com/openai/parameter-golf/issues/561",
                      "#505 lacked submission.json and train logs; #545 was not a self-contained /records folder"),)

    def check(self, ctx):
        return folder_findings(ctx, self.id, ("metadata",))

    VALID = (Example(TRAIN_GPT, files=good_files(), trap="complete folder"),)
    INVALID = (
        Example(TRAIN_GPT, files=_NO_README, trap="no README.md"),
        Example(TRAIN_GPT, files=_NO_LOGS, trap="claims without logs"),
    )
