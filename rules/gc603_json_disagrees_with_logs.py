"""GC603 — submission.json disagrees with the logs."""

from golfcheck.checks.examples import GOOD_SEEDS, TRAIN_GPT, good_files, submission_json
from golfcheck.checks.rulebase import folder_findings
from golfcheck.findings import Severity
from golfcheck.rule import Example, Rule, Ruling


class JsonDisagreesWithLogs(Rule):
    id = "GC603"
    name = "json-disagrees-with-logs"
    severity = Severity.ERROR
    kind = "paperwork"
    scope = "folder"
    summary = "A number in submission.json (per-seed val_bpb, headline mean, std, bytes) is not what the logs say."
    rationale = (
        "The leaderboard is built from submission.json, the evidence is the logs. Every per-seed value must "
        "be the scored line of that seed's log at the printed precision; the headline must be their mean; "
        "val_bpb_std the sample std (ddof=1); bytes_total the logged total including code."
    )
    looks_for = ("seed_results / seeds / seed_scores per seed against the scored line chosen by "
                 "SUBMISSION_FORMAT §3.3; val_bpb, val_bpb_std, bytes_total and artifact_bytes against the logs.")
    traps = (
        "`1.064` is 1.06400 printed with trailing zeros dropped: compare at the printed precision.",
        "Scripts print compatibility aliases (`final_int8_zlib_roundtrip_exact` with the sliding value).",
        "Population std (ddof=0) is a common slip, not a different measurement.",
    )
    rulings = (Ruling("Issue #2124 (maintainer review)", "https://github.com/openai/parameter-golf/issues/2124",
                      "a row needs a 3-seed mean with consistent timing/artifact evidence"),)

    def check(self, ctx):
        return folder_findings(ctx, self.id, ("logs", "metadata"))

    VALID = (Example(TRAIN_GPT, files=good_files(), trap="per-seed values, mean and bytes all agree"),)
    INVALID = (
        Example(TRAIN_GPT, files={**good_files(), "submission.json": submission_json({**GOOD_SEEDS, 42: 0.99}, )},
                trap="per-seed value that no log line carries", lines=(10,)),
        Example(TRAIN_GPT, files={**good_files(), "submission.json": submission_json(GOOD_SEEDS, total=15_800_000)},
                trap="bytes that the logs do not show", severity=Severity.WARNING),
    )
