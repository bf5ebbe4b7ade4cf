"""GC601 — the scored run must cover the full canonical validation split."""

from golfcheck.checks.examples import TRAIN_GPT, good_files, log
from golfcheck.checks.rulebase import folder_findings
from golfcheck.findings import Severity
from golfcheck.rule import Example, Rule, Ruling


class FullValidationCoverage(Rule):
    id = "GC601"
    name = "full-validation-coverage"
    severity = Severity.ERROR
    scope = "folder"
    summary = "The logged validation token count is not a canonical full-split count."
    rationale = (
        "val_bpb is defined over the whole FineWeb validation split. A run that evaluates a subset "
        "(first N tokens, a document sample) reports a number that is not comparable. Canonical counts: "
        "SP1024 62,021,632; SP4096 45,508,608 / 45,514,752; SP8192 40,540,160; CaseOps SP8192 47,851,520; "
        "byte260 151,130,112. Truncation to a multiple of the sequence length is tolerated."
    )
    looks_for = "`val_loader:shards ... tokens:N` and `val_tokens: N` lines of each counted run."
    traps = ("A new tokenizer changes the count legitimately; that is a proof obligation (GC404), so a "
             "near miss is a warning and only a clear subset is an error.",)
    rulings = (Ruling("README: validation runs on the full fineweb_val split",
                      "https://github.com/openai/parameter-golf#submission-process",
                      "evaluation must cover the full validation split"),)

    def check(self, ctx):
        return folder_findings(ctx, self.id, ("logs",))

    VALID = (Example(TRAIN_GPT, files=good_files(), trap="canonical SP8192 count"),)
    INVALID = (
        Example(TRAIN_GPT, files={**good_files(), "train_seed42.log": log(42, 1.0001, val_tokens=5_000_000)},
                trap="evaluates the first 5M tokens only", lines=(5,)),
        Example(TRAIN_GPT, files={**good_files(), "train_seed42.log": log(42, 1.0001, val_tokens=40_000_000)},
                trap="count near but below canonical", severity=Severity.WARNING),
    )
