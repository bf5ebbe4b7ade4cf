"""GC908 — CaseOps lossless transform with a raw-byte sidecar for the byte denominator (note)."""

from golfcheck.findings import Severity
from golfcheck.rule import Example, Rule, Ruling
from ._eval_time import byte_sidecars


class CaseOpsSidecar(Rule):
    id = "GC908"
    name = "caseops-sidecar"
    severity = Severity.NOTE
    summary = "CaseOps (reversible case transform) with the fineweb_val_bytes_* raw-byte sidecar: legal."
    rationale = (
        "With a reversible text transform the BPB denominator must stay the original UTF-8 bytes; the exported "
        "per-token sidecar (fineweb_val_bytes_*) carries them (PR #1729, accepted). Printing it shows why a "
        "tokenizer change passed; GC403 checks that every metric path uses it."
    )
    looks_for = "A string literal naming the raw-byte sidecar (fineweb_val_bytes_*), one note per file."
    traps = (
        "Counting the transformed pieces (with the private-use case sentinels) is GC403.",
        "A CASEOPS_ENABLED flag left at 0 on CaseOps shards is GC403 (run configuration).",
    )
    rulings = (
        Ruling("PR #1729 (romeerp, accepted)", "https://github.com/openai/parameter-golf/pull/1729",
               "val_bpb charged against exact original UTF-8 bytes through the sidecar"),
    )

    def check(self, ctx):
        for facts in ctx.facts:
            for line, literal in byte_sidecars(facts):
                yield ctx.finding(self, facts, line, (
                    f"CaseOps raw-byte sidecar (`{literal}`): the byte denominator comes from the original UTF-8 "
                    f"bytes, not the transformed pieces (PR #1729)"))

    VALID = (
        Example(
            """
            import glob

            def load_validation_tokens(root):
                return sorted(glob.glob(f"{root}/fineweb_val_*.bin"))
            """,
            trap="plain validation shards, no sidecar",
        ),
    )
    INVALID = (
        Example(
            """
            import glob

            def load_val_bytes(pattern):
                bytes_pattern = pattern.replace("fineweb_val_", "fineweb_val_bytes_")
                return sorted(glob.glob(bytes_pattern))
            """,
            trap="the sidecar path derived from the validation pattern (#1729 shape)",
            lines=(4,),
        ),
    )
