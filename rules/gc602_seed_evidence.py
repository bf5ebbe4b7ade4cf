"""GC602 — record evidence: enough distinct seeds and a significant improvement."""

from golfcheck.checks.examples import TRAIN_GPT, good_files, log, submission_json, README
from golfcheck.checks.rulebase import folder_findings
from golfcheck.findings import Severity
from golfcheck.rule import Example, Rule, Ruling


class SeedEvidence(Rule):
    id = "GC602"
    name = "seed-evidence"
    severity = Severity.WARNING
    kind = "paperwork"
    scope = "folder"
    summary = "Too few distinct seeds, or no significant improvement over the SOTA."
    rationale = (
        "A record must show, with at least three distinct-seed logs, that it beats the SOTA. The README's "
        "rule is a one-sided test of a 0.005-nat improvement at p < 0.01 (margin converted to bpb with the "
        "SOTA's bpb/nats ratio); the maintainers' leaderboard since PR #1902 admits a row at p < 0.25 "
        "(one-sided Welch, no margin) against the previous frontier row. golfcheck reports both."
    )
    looks_for = ("The scored val_bpb of every distinct in-log seed (SUBMISSION_FORMAT §3.3), tested against "
                 "--sota, --sota-bpb or the shipped leaderboard snapshot.")
    traps = (
        "Seeds come from inside the logs, not from file names; duplicate logs count once.",
        "0.005 nats is not 0.005 bpb: convert with the SOTA's c = bpb/nats.",
    )
    rulings = (
        Ruling("README: record submissions", "https://github.com/openai/parameter-golf#submission-process",
               "beat SOTA by >= 0.005 nats at p < 0.01"),
        Ruling("PR #1902 progression cutoff", "https://github.com/openai/parameter-golf/pull/1902",
               "one-sided Welch p < 0.25 against the previous frontier row"),
    )

    def check(self, ctx):
        return folder_findings(ctx, self.id, ("logs", "validate"), drop_notes=True)

    VALID = (Example(TRAIN_GPT, files=good_files(), trap="three seeds, far better than the snapshot's SOTA"),)
    INVALID = (
        Example(TRAIN_GPT, files={"README.md": README, "submission.json": submission_json({42: 1.0001}),
                                  "train_seed42.log": log(42, 1.0001)},
                trap="single-seed record claim", severity=Severity.ERROR),
        Example(TRAIN_GPT, files=good_files({42: 1.2001, 314: 1.2003, 999: 1.2002}),
                trap="three seeds, all worse than the SOTA"),
    )
