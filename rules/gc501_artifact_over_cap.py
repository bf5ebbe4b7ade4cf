"""GC501 — artifact (counted code + compressed model) over 16,000,000 bytes."""

from golfcheck.checks.examples import TRAIN_GPT, good_files, log
from golfcheck.checks.rulebase import folder_findings
from golfcheck.findings import Severity
from golfcheck.rule import Example, Rule, Ruling


def _reexport(seed: int, bpb: float, first: int, second: int) -> str:
    """A log that exports twice (a re-quantisation) and then scores: the second export is the artifact."""
    lines = log(seed, bpb, total=first).splitlines()
    return "\n".join(lines[:-1] + [
        "re-quantizing with a tighter clip",
        f"Serialized model quantized+brotli: {second - 40_000} bytes",
        f"Total submission size quantized+brotli: {second} bytes",
        lines[-1],
    ]) + "\n"


class ArtifactOverCap(Rule):
    id = "GC501"
    name = "artifact-over-cap"
    severity = Severity.ERROR
    scope = "folder"
    summary = "Code bytes plus compressed model bytes exceed the decimal 16,000,000-byte cap."
    rationale = (
        "The artifact is the UTF-8 bytes of the counted code as shipped plus the compressed model file. "
        "The cap is decimal (16,000,000 bytes, not 16 MiB) and holds for every seed. submission.json "
        "often lists model-only bytes, so golfcheck recomputes the total by one rule in every output: the counted "
        "script as shipped plus every file of the folder it runs (imported or executed Python, native code it "
        "builds or loads), plus the shipped model file, else per seed the log's total minus the code bytes that "
        "log counted. `golfcheck size` lists each counted file and why it is counted."
    )
    looks_for = ("`Total submission size <fmt>: N bytes` per log (after the compressed-model line), the "
                 "shipped model file (compressor sniffed by magic bytes and decompressed with a size cap), "
                 "and bytes_total / artifact_bytes in submission.json.")
    traps = (
        "16 MB is decimal: 16,000,000 bytes, not 16,777,216.",
        "`Total submission size: N bytes` without a format is the raw state dict plus code, not the artifact.",
        "Code executed from a sibling file counts toward the total (see GC502), even when the log's own "
        "`Total submission size` leaves it out.",
    )
    rulings = (
        Ruling("README: Submission Process", "https://github.com/openai/parameter-golf#submission-process",
               "artifact = code bytes + compressed model bytes <= 16,000,000 (decimal)"),
        Ruling("PR #1902 leaderboard cutoff", "https://github.com/openai/parameter-golf/pull/1902",
               "over-cap artifacts are excluded from the leaderboard"),
    )

    def check(self, ctx):
        return folder_findings(ctx, self.id, ("size",))

    VALID = (
        Example(TRAIN_GPT, files={**good_files(), "train_seed999.log": _reexport(999, 1.0002, 16_040_000, 15_960_000)},
                trap="a first export over the cap, superseded by a smaller one that produced the score"),
        Example(TRAIN_GPT, files=good_files(), trap="every seed under the cap"),
        Example(TRAIN_GPT, files={**good_files(), "train_seed999.log": log(999, 1.0002) + (
            "ablation: int5 export\nSerialized model int5+lzma: 16100000 bytes\n"
            "Total submission size int5+lzma: 16140000 bytes\n")},
                trap="an export printed after the scored line is not the artifact that was scored"),
    )
    INVALID = (
        Example(TRAIN_GPT, files={**good_files(), "train_seed999.log": log(999, 1.0002, total=16_000_001)},
                trap="one seed one byte over the decimal cap", lines=(9,)),
        Example(TRAIN_GPT, files={**good_files(), "train_seed999.log": _reexport(999, 1.0002, 15_960_000, 16_040_000)},
                trap="the export that produced the score is the later one, over the cap", lines=(12,)),
    )
