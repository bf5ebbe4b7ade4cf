"""GC501 — artifact (counted code + compressed model) over 16,000,000 bytes."""

from golfcheck.checks.examples import TRAIN_GPT, good_files, log
from golfcheck.checks.rulebase import folder_findings
from golfcheck.findings import Severity
from golfcheck.rule import Example, Rule, Ruling


class ArtifactOverCap(Rule):
    id = "GC501"
    name = "artifact-over-cap"
    severity = Severity.ERROR
    scope = "folder"
    summary = "Code bytes plus compressed model bytes exceed the decimal 16,000,000-byte cap."
    rationale = (
        "The artifact is the UTF-8 bytes of the counted code as shipped plus the compressed model file. "
        "The cap is decimal (16,000,000 bytes, not 16 MiB) and holds for every seed. submission.json "
        "often lists model-only bytes, so golfcheck recomputes the total from the shipped files and reads "
        "the `Total submission size` line of every log."
    )
    looks_for = ("`Total submission size <fmt>: N bytes` per log (after the compressed-model line), the "
                 "shipped model file (compressor sniffed by magic bytes and decompressed with a size cap), "
                 "and bytes_total / artifact_bytes in submission.json.")
    traps = (
        "16 MB is decimal: 16,000,000 bytes, not 16,777,216.",
        "`Total submission size: N bytes` without a format is the raw state dict plus code, not the artifact.",
        "Code executed from a sibling file counts toward the total (see GC502).",
    )
    rulings = (
        Ruling("README: Submission Process", "https://github.com/openai/parameter-golf#submission-process",
               "artifact = code bytes + compressed model bytes <= 16,000,000 (decimal)"),
        Ruling("PR #1902 leaderboard cutoff", "https://github.com/openai/parameter-golf/pull/1902",
               "over-cap artifacts are excluded from the leaderboard"),
    )

    def check(self, ctx):
        return folder_findings(ctx, self.id, ("size",))

    VALID = (Example(TRAIN_GPT, files=good_files(), trap="every seed under the cap"),)
    INVALID = (
        Example(TRAIN_GPT, files={**good_files(), "train_seed999.log": log(999, 1.0002, total=16_000_001)},
                trap="one seed one byte over the decimal cap", lines=(9,)),
    )
