"""GC402 — a byte LUT not derived from the tokenizer's raw bytes (byte-fallback, U+FFFD, external tables)."""

import re

from golfcheck.findings import Severity
from golfcheck.rule import Example, Rule, Ruling
from ._data_bytes import PIECE_CALLS, code_files, lut_builders

META_SETTING = re.compile(r"tokenizer_meta|meta_path|luts?_path|byte_table_path", re.I)
LOADS = re.compile(r"(^|\.)(np\.load|numpy\.load|torch\.load|load|json\.load|pickle\.load)$")


class ByteLutSource(Rule):
    id = "GC402"
    name = "byte-lut-not-raw-bytes"
    severity = Severity.ERROR
    ruling_date = "2026-04-26"
    summary = "Per-token byte counts not taken from the tokenizer's raw bytes (byte-fallback as 3 or 6 bytes, external LUT)."
    rationale = (
        "A byte-fallback token <0xNN> is one source byte. Counting len(sp.id_to_piece(i).encode()) (6 bytes for "
        "'<0x0A>') or len(sp.decode([i]).encode()) (3 bytes for U+FFFD) without the sp.is_byte(i) -> 1 branch "
        "inflates the denominator: the Scylla record over-counted by 4.13% and was removed. A LUT loaded from a "
        "metadata file nobody audits needs a reviewer."
    )
    looks_for = (
        "LUT builders that fill base_bytes from len(<piece or decoded text>.encode()) with no is_byte branch; "
        "len('\\ufffd'.encode()); base_bytes loaded with np.load/torch.load from a file (TOKENIZER_META_PATH)."
    )
    traps = (
        "The baseline LUT (is_byte -> 1, '▁' stripped, control/unknown/unused as boundaries) is canonical.",
        "A meta file path guarded by a flag the run configuration disables is dormant (the engine notes it).",
    )
    rulings = (
        Ruling("Commit 7427de232 'Remove invalid Scylla record' (Alex Zhao, 2026-04-26)",
               "https://github.com/openai/parameter-golf/commit/7427de232", "byte LUT over-counted by 4.13%"),
        Ruling("Issue #897: tokenizers without a standalone '▁' piece", "https://github.com/openai/parameter-golf/issues/897", ""),
    )

    def check(self, ctx):
        for facts in code_files(ctx):
            for f, stores in lut_builders(facts):
                if f.calls_named("is_byte", "IsByte", "is_byte_token") or any(
                        "<0x" in s for s, line in facts.strings if f.line <= line <= f.end_line):
                    continue
                pieces = {t for a in f.assigns if isinstance(a.value, object) and a.value is not None
                          and any(n in facts.code(a.value) for n in PIECE_CALLS) for t in a.targets}
                for a in stores:
                    code = facts.code(a.value)
                    if "len(" in code and ".encode(" in code and (
                            any(n in code for n in PIECE_CALLS) or a.reads & pieces):
                        yield ctx.finding(self, facts, a.node or a.line,
                                          f"`{code[:70]}` counts byte-fallback tokens by their piece text (6 bytes for "
                                          "'<0x0A>', 3 for U+FFFD), not 1 raw byte: no sp.is_byte(i) branch in "
                                          f"`{f.name}`")
                        break
            for s, line in facts.strings:
                if s == "\ufffd" and "len(" in (facts.lines[line - 1] if line <= len(facts.lines) else ""):
                    yield ctx.finding(self, facts, line, "the replacement character U+FFFD is counted as 3 bytes; "
                                      "a byte-fallback token is 1 source byte")
            yield from self._external(ctx, facts)

    def _external(self, ctx, facts):
        for f in facts.iter_functions():
            in_f = [s for s, line in facts.strings if f.node is not None and f.line <= line <= f.end_line]
            if "base_bytes" not in in_f and not any(re.search(r"base_bytes|bytes_lut", s) for s in in_f):
                continue
            for c in f.calls:
                q = facts.qualify(c.func) or c.name
                if LOADS.search(q) and c.name in ("load",):
                    yield ctx.finding(self, facts, c.node,
                                      f"the byte LUT is loaded from a file (`{facts.code(c.node)[:60]}`), not derived "
                                      "from the tokenizer: ship the file and show the byte total matches",
                                      severity=Severity.WARNING)
                    break
        for s in ctx.config.settings.values():
            if s.path == facts.path and s.env and META_SETTING.search(s.env) and s.value:
                yield ctx.finding(self, facts, s.line or 1,
                                  f"{s.env} points the byte tables at an external file ({s.value!r})",
                                  severity=Severity.WARNING)

    VALID = (
        Example(
            """
            import numpy as np
            def build_sentencepiece_luts(sp, vocab_size):
                base_bytes = np.zeros(vocab_size, dtype=np.int16)
                for i in range(sp.vocab_size()):
                    if sp.is_control(i) or sp.is_unknown(i) or sp.is_unused(i):
                        continue
                    if sp.is_byte(i):
                        base_bytes[i] = 1
                        continue
                    piece = sp.id_to_piece(i)
                    if piece.startswith("\\u2581"):
                        piece = piece[1:]
                    base_bytes[i] = len(piece.encode("utf-8"))
                return base_bytes
            """,
            trap="the canonical LUT with the is_byte branch",
        ),
    )
    INVALID = (
        Example(
            """
            import numpy as np
            def build_luts(sp, vocab_size):
                base_bytes = np.zeros(vocab_size, dtype=np.int16)
                for i in range(vocab_size):
                    base_bytes[i] = len(sp.decode([i]).encode("utf-8"))
                return base_bytes
            """,
            trap="len(sp.decode([i]).encode()) counts byte-fallback as U+FFFD", lines=(5,),
        ),
        Example(
            """
            import numpy as np
            def build_luts(sp, vocab_size):
                base_bytes = np.zeros(vocab_size, dtype=np.int16)
                for i in range(vocab_size):
                    piece = sp.id_to_piece(i).replace("\\u2581", " ")
                    base_bytes[i] = len(piece.encode("utf-8"))
                return base_bytes
            """,
            trap="id_to_piece without the is_byte branch", lines=(6,),
        ),
        Example(
            """
            import os
            import numpy as np
            def load_tokenizer_meta_luts(meta_path):
                meta = np.load(meta_path)
                return meta["base_bytes"], meta["has_leading_space"]
            """,
            trap="LUT loaded from an external .npz (Scylla)", severity=Severity.WARNING, lines=(4,),
        ),
    )
