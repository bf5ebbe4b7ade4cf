"""GC404 — a changed tokenizer or dataset: the README must prove the byte count (HOLD)."""

import re

from golfcheck.findings import Severity
from golfcheck.rule import Example, Rule, Ruling
from ._data_bytes import CANONICAL_TOKENIZERS, code_files, text_finding
from .gc403_transformed_bytes import SIDECAR

CANONICAL_VOCABS = {1024, 4096, 8192}
TOKENIZER_KEY = re.compile(r"^(tokenizer_path|tokenizer|sp_model|sp_model_path|spm_path|tokenizer_model)$")
SHIPPED = (".model", ".vocab", ".npz")
CANONICAL_FILES = re.compile(r"^fineweb_(1024|4096|8192)_bpe\.(model|vocab)$")
PREP_SCRIPT = re.compile(r"(^|/)(prepare\w*|download\w*|\w*tokeniz\w*|export\w*data\w*|make_\w*shards?\w*|"
                         r"build_\w*(data|shards|tokenizer)\w*|lossless_caps|cached_challenge_fineweb)\.py$")
# What a README shows when it proves its byte total: a sidecar, or a byte total of the val set.
PROOF = re.compile(r"sidecar|\b1[45]\d[,_]?\d{3}[,_]?\d{3}\b|(total|raw|original|exact)\s+(utf-?8\s+)?bytes|bytes?\s+(match|verified|check)",
                   re.I)


class TokenizerChange(Rule):
    id = "GC404"
    name = "tokenizer-or-dataset-change"
    severity = Severity.WARNING
    summary = "A custom tokenizer, vocabulary or data export: proof that val_bpb is computed correctly is required."
    rationale = (
        "The README: submissions that change the tokenizer or dataset must prove with certainty that val_bpb is "
        "correctly calculated, and get more scrutiny. A reviewer should see a full decode of the val set whose "
        "byte total matches the denominator."
    )
    looks_for = (
        "TOKENIZER_PATH other than fineweb_{1024,4096,8192}_bpe.model; VOCAB_SIZE outside 1024/4096/8192; *.model, "
        "*.vocab or *.npz shipped in the folder; data-preparation scripts in the folder. Downgraded to a note when "
        "the README shows byte-accounting evidence (a raw-byte sidecar or a byte total)."
    )
    traps = (
        "The canonical sp1024/sp4096/sp8192 tokenizers and vocab sizes need no proof.",
        "A README that reports the sidecar or the exact byte total is noted for the reviewer, not held.",
    )
    rulings = (Ruling("README: tokenizer or dataset changes must prove val_bpb", "https://github.com/openai/parameter-golf#faq",
                      "prove with certainty that the val_bpb is correctly calculated"),)

    def check(self, ctx):
        readme = ctx.readme
        proof = PROOF.search(readme[1]) if readme else None
        sidecar = next(((f.path, line) for f in ctx.facts for v, line in f.strings if SIDECAR.search(v)), None)
        sev = Severity.NOTE if (proof or sidecar) else None
        if proof:
            tail = f"; {readme[0]} shows byte-accounting evidence (`{proof.group(0)}`): confirm it covers the full val set"
        elif sidecar:
            tail = (f"; the bytes come from the raw-byte sidecar ({sidecar[0]}:{sidecar[1]}): confirm the sidecar's total "
                    "matches the original val bytes")
        else:
            tail = "; show a full decode of the val set whose byte total matches the denominator"
        for facts in code_files(ctx):
            named = False
            for v, line in facts.strings:
                if v.endswith(".model") and re.search(r"bpe|token|sp\d|spm", v, re.I) and not CANONICAL_TOKENIZERS.search(v):
                    yield ctx.finding(self, facts, line, f"non-canonical tokenizer {v!r}{tail}", severity=sev)
                    named = True
                    break
            for s in ctx.config.settings.values():
                if s.path != facts.path:
                    continue
                if TOKENIZER_KEY.match(s.key) and isinstance(s.value, str) and s.value.endswith(".model") \
                        and not CANONICAL_TOKENIZERS.search(s.value) and not named:
                    yield ctx.finding(self, facts, s.line or 1, f"non-canonical tokenizer {s.value!r}{tail}", severity=sev)
                elif s.key == "vocab_size" and isinstance(s.value, int) and s.value not in CANONICAL_VOCABS:
                    yield ctx.finding(self, facts, s.line or 1, f"vocabulary size {s.value} is not a canonical "
                                      f"sp1024/4096/8192 tokenizer{tail}", severity=sev)
        sub = ctx.submission
        if sub is None:
            return
        for p in getattr(sub, "other_files", []):
            if p.suffix in SHIPPED and not CANONICAL_FILES.search(p.name):
                rel = str(p.relative_to(sub.root)) if p.is_relative_to(sub.root) else p.name
                yield text_finding(self, rel, 1, f"tokenizer/LUT file {rel} shipped in the folder{tail}", severity=sev)
        for f in getattr(sub, "code_files", []):
            if PREP_SCRIPT.search(f.rel):
                yield text_finding(self, f.rel, 1, f"data-preparation script {f.rel} in the folder: a custom export"
                                   f"{tail}", severity=sev)

    VALID = (
        Example(
            """
            import os
            tokenizer_path = os.environ.get("TOKENIZER_PATH", "./data/tokenizers/fineweb_8192_bpe.model")
            vocab_size = int(os.environ.get("VOCAB_SIZE", 8192))
            """,
            trap="canonical SP8192 tokenizer",
        ),
    )
    INVALID = (
        Example(
            """
            import os
            tokenizer_path = os.environ.get("TOKENIZER_PATH", "./data/tokenizers/candidate.model")
            vocab_size = int(os.environ.get("VOCAB_SIZE", 998))
            """,
            trap="custom tokenizer and vocab size", lines=(2, 3),
        ),
        Example(
            "print('train')\n",
            files={"prepare_caseops_data.py": "print('export')\n",
                   "README.md": "BPB is charged against the original bytes via the per-token byte sidecar.\n"},
            trap="data-prep script with README byte evidence: note", severity=Severity.NOTE,
        ),
    )
