"""GC403 — the byte denominator taken from transformed text (CaseOps, casefold, lowercase) instead of raw bytes."""

import re

from golfcheck.findings import Severity
from golfcheck.rule import Example, Rule, Ruling
from ._data_bytes import code_files, evidence_texts, grep, lut_builders
from golfcheck.runconfig import truthy

TRANSFORMED = re.compile(r"caseops|lossless_caps|casefold|lowercase|lower_case|nfkc", re.I)
SIDECAR = re.compile(r"fineweb_val_bytes|val_bytes_|_bytes_\*|token_bytes_sidecar|byte_sidecar", re.I)
SIDECAR_NAME = re.compile(r"val_\w*bytes|bytes_override|sidecar|raw_bytes|orig\w*_bytes", re.I)
PIECE_BYTES = re.compile(r"^(token_bytes_lut|piece_bytes\w*|byte_stream|bytes_lut|base_bytes_lut|base_bytes)$")
CASE_FLAG = re.compile(r"^(caseops|lossless_caps|case_ops)(_enabled|_on)?$", re.I)
EVIDENCE = re.compile(r"(ln\s+-s\w*\s+\S*(caseops|lossless_caps)\S*|(DATA_PATH|DATA_DIR|datasets_dir|data_path)\s*[=:]\s*\S*(caseops|lossless_caps))", re.I)


class TransformedBytes(Rule):
    id = "GC403"
    name = "transformed-text-bytes"
    severity = Severity.ERROR
    ruling_date = "2026-05-01"
    summary = "BPB charged against transformed text (CaseOps pieces, casefold, lowercase) instead of the original bytes."
    rationale = (
        "val_bpb must be charged against the original UTF-8 bytes of the validation documents. With the reversible "
        "CaseOps transform the bytes come from the exported per-token sidecar (fineweb_val_bytes_*); counting the "
        "transformed pieces adds the 3-byte case sentinels (about 9% more bytes). CASEOPS_ENABLED=0 on CaseOps "
        "shards uses the LUT (PR #2071: ~164.6M bytes instead of ~151M). Lossy casefold/lowercase changes the task."
    )
    looks_for = (
        "a CaseOps flag that is off while the data path (code, README, run script or logs) points at CaseOps "
        "shards; tokenizer or data paths naming casefold/lowercase/caseops with no raw-byte sidecar anywhere."
    )
    traps = (
        "CaseOps with the sidecar (load_validation_token_bytes replacing fineweb_val_ by fineweb_val_bytes_) and "
        "every metric using it is legal (#1729, HEAD 2026-04-18_PR1626_CaseOps_Taper).",
        "A CaseOps flag that is off while the data is the ordinary SP8192 export is the plain baseline.",
    )
    rulings = (
        Ruling("PR #1729 (accepted): BPB charged against exact original UTF-8 bytes through the sidecar",
               "https://github.com/openai/parameter-golf/pull/1729", ""),
        Ruling("PR #2071 review (sharpobject, 2026-05-01): CASEOPS_ENABLED=0 on CaseOps shards",
               "https://github.com/openai/parameter-golf/pull/2071", ""),
        Ruling("Issue #1604: casefold clarification", "https://github.com/openai/parameter-golf/issues/1604", ""),
    )

    def check(self, ctx):
        texts = evidence_texts(ctx, logs=True)
        has_sidecar = any(SIDECAR.search(s) for facts in ctx.facts for s, _ in facts.strings)
        for facts in code_files(ctx):
            for s in ctx.config.settings.values():
                if s.path != facts.path or not CASE_FLAG.match(s.key) or truthy(s.value):
                    continue
                proof = next(iter(grep(texts, EVIDENCE)), None)
                data = [v for v in (ctx.config.value("datasets_dir"), ctx.config.value("data_path")) if isinstance(v, str)]
                if proof is None and not any(TRANSFORMED.search(v) for v in data):
                    continue
                where = f"{proof[0]}:{proof[1]} `{proof[2].group(0)[:80]}`" if proof else f"the data path {data[0]!r}"
                yield ctx.finding(self, facts, s.line or 1,
                                  f"{s.env or s.key} is off ({s.value!r}) while {where} points at CaseOps shards: the "
                                  "byte LUT then counts the transformed pieces instead of the raw-byte sidecar",
                                  evidence=proof[0] if proof else "")
            if has_sidecar:
                yield from self._second_metric(ctx, facts)
                continue
            if not (list(lut_builders(facts)) or facts.by_name("build_sentencepiece_luts")):
                continue
            hit = next(((s.line or 1, f"{s.env or s.key} = {s.value!r}") for s in ctx.config.settings.values()
                        if s.path == facts.path and isinstance(s.value, str)
                        and re.search(r"tokenizer|data|dataset", s.key) and TRANSFORMED.search(s.value)), None)
            hit = hit or next(((line, repr(v)) for v, line in facts.strings
                               if TRANSFORMED.search(v) and re.search(r"\.model$|fineweb10B_|_bpe", v)), None)
            if hit:
                yield ctx.finding(self, facts, hit[0],
                                  f"{hit[1]} is a transformed-text tokenizer/dataset and no raw-byte sidecar is read: "
                                  "the byte denominator is counted on transformed pieces, not the original bytes")

    def _second_metric(self, ctx, facts):
        """With a sidecar present, a bpb path that counts bytes of (transformed) pieces and never reads the sidecar."""
        for f in facts.iter_functions():
            if f.node is None:
                continue
            reads = {n for a in f.assigns for n in a.reads} | {n for c in f.calls for n in c.reads} | set(f.params)
            if any(SIDECAR_NAME.search(n) for n in reads):
                continue
            luts = sorted(n for n in reads if PIECE_BYTES.search(n.rsplit(".", 1)[-1]))
            bpb = [a for a in f.assigns if a.value is not None and any(re.search(r"bpb", t, re.I) for t in a.targets)
                   and any(re.search(r"byte", n, re.I) for n in a.reads)]
            if luts and bpb:
                yield ctx.finding(self, facts, bpb[0].node or bpb[0].line,
                                  f"`{f.name}` charges bpb against bytes of the tokenizer pieces (`{luts[0]}`) while "
                                  "this submission has a raw-byte sidecar: with CaseOps pieces that counts the "
                                  "transformed text, not the original bytes")

    VALID = (
        Example(
            """
            import glob, os
            data_path = os.environ.get("DATA_PATH", "./data/datasets/fineweb10B_sp8192_lossless_caps_caseops_v1_reserved")
            def load_validation_token_bytes(pattern):
                bytes_pattern = pattern.replace("fineweb_val_", "fineweb_val_bytes_")
                return sorted(glob.glob(bytes_pattern))
            def build_sentencepiece_luts(sp, n):
                base_bytes = [0] * n
                for i in range(n):
                    base_bytes[i] = 1 if sp.is_byte(i) else len(sp.id_to_piece(i).encode())
                return base_bytes
            """,
            trap="CaseOps with the raw-byte sidecar",
        ),
        Example(
            """
            import os
            caseops_enabled = bool(int(os.environ.get("CASEOPS_ENABLED", "0")))
            data_path = os.environ.get("DATA_PATH", "./data/datasets/fineweb10B_sp8192")
            """,
            trap="CaseOps flag off on the ordinary SP8192 data",
        ),
    )
    INVALID = (
        Example(
            """
            import os
            caseops_enabled = bool(int(os.environ.get("CASEOPS_ENABLED", "0")))
            data_path = os.environ.get("DATA_PATH", "./data/datasets/fineweb10B_sp8192")
            """,
            files={"README.md": """
                # symlink the CaseOps shards into the standard path
                ln -s fineweb10B_sp8192_lossless_caps_caseops_v1_reserved data/datasets/fineweb10B_sp8192
                """},
            trap="CASEOPS_ENABLED=0 with CaseOps shards behind a symlink (PR #2071)", lines=(2,),
        ),
        Example(
            """
            import os
            tokenizer_path = os.environ.get("TOKENIZER_PATH", "./data/tokenizers/sp10240_casefold.model")
            def build_sentencepiece_luts(sp, n):
                base_bytes = [0] * n
                for i in range(n):
                    base_bytes[i] = 1 if sp.is_byte(i) else len(sp.id_to_piece(i).encode())
                return base_bytes
            """,
            trap="casefold tokenizer with no raw-byte sidecar (PR #1873)", lines=(2,),
        ),
        Example(
            """
            import os
            class Hyperparameters:
                data_dir = os.environ.get("DATA_DIR", "./data/")
                tokenizer_path = os.path.join(data_dir, "tokenizers", "fineweb_10240_casefold_bpe.model")
            def build_sentencepiece_luts(sp, n):
                return [1 if sp.is_byte(i) else len(sp.id_to_piece(i).encode()) for i in range(n)]
            """,
            trap="casefold tokenizer path built with os.path.join (PR #1707)", lines=(4,),
        ),
        Example(
            """
            import math
            def load_validation_byte_sidecar(pattern):
                return pattern.replace("fineweb_val_", "fineweb_val_bytes_")
            def ppm_mixture_bpb(tokens, token_bytes_lut, nll_fn):
                byte_stream = [b for t in tokens for b in token_bytes_lut[t]]
                total_bytes = len(byte_stream)
                mix_nll = nll_fn(byte_stream)
                mix_bpb = mix_nll / total_bytes / math.log(2)
                return mix_bpb
            """,
            trap="a second (PPM) metric path counting piece bytes beside the sidecar (PR #2138)", lines=(8,),
        ),
    )
