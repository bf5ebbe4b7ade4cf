"""GC401 — the leading-space byte counted twice: in the LUT (+1) and again at eval."""

import libcst as cst

from golfcheck.findings import Severity
from golfcheck.rule import Example, Rule, Ruling
from ._data_bytes import SPACE_LUT, code_files, lut_builders


def _plus_one(node) -> bool:
    """``<...len(...)...> + 1`` (either order)."""
    if not isinstance(node, cst.BinaryOperation) or not isinstance(node.operator, cst.Add):
        return False
    sides = (node.left, node.right)
    return any(isinstance(s, cst.Integer) and s.value == "1" for s in sides) and any(
        "len(" in cst.Module([]).code_for_node(s) for s in sides)


def eval_space_adds(facts):
    """Byte-count additions of the leading-space LUT outside the LUT builders: (function, assignment)."""
    builders = {f.qualname for f, _ in lut_builders(facts)}
    for f in facts.iter_functions():
        if f.qualname in builders:
            continue
        for a in f.assigns:
            if any(SPACE_LUT.search(n.rsplit(".", 1)[-1]) for n in a.reads) and a.value is not None and (
                    a.op == "+=" or "+" in facts.code(a.value)):
                yield f, a


class LeadingSpaceTwice(Rule):
    id = "GC401"
    name = "leading-space-counted-twice"
    severity = Severity.ERROR
    ruling_date = "2026-04-16"
    summary = "The LUT adds 1 byte for the leading '▁' and eval adds has_leading_space again."
    rationale = (
        "The canonical LUT stores the UTF-8 length of the piece without its leading '▁'; eval adds the space byte "
        "only when has_leading_space[tgt] & ~is_boundary[prev]. Adding +1 in the LUT as well counts every space "
        "twice: about 17% more bytes on SP8192, a BPB about 15% too good (#1545, #1576, #1632, #1698, #1734)."
    )
    looks_for = (
        "A LUT builder assigning base_bytes[i] = len(piece[1:].encode()) + 1 for '▁' pieces, in a file whose "
        "eval also adds has_leading_space_lut[tgt] & ~is_boundary_token_lut[prev] to the byte count."
    )
    traps = (
        "The baseline strips '▁' in the LUT (no +1) and adds the space at eval: counted once.",
        "A LUT that adds +1 while eval never adds has_leading_space counts the space once (boundary handling "
        "aside), so it is not this rule.",
    )
    rulings = (
        Ruling("PR #1632 review (2026-04-16): same byte-counting bug that closed #1545 and #1576",
               "https://github.com/openai/parameter-golf/pull/1632", ""),
        Ruling("PR #1734 self-disclosure: buggy/canonical byte ratio 1.1746",
               "https://github.com/openai/parameter-golf/pull/1734", ""),
    )

    def check(self, ctx):
        for facts in code_files(ctx):
            adds = list(eval_space_adds(facts))
            if not adds:
                continue
            f_eval, a_eval = adds[0]
            for f, stores in lut_builders(facts):
                for a in stores:
                    if _plus_one(a.value):
                        yield ctx.finding(
                            self, facts, a.node or a.line,
                            f"`{facts.code(a.value)[:70]}` already counts the leading space, and `{f_eval.name}` adds "
                            f"has_leading_space again at line {a_eval.line}: every space byte is counted twice")

    VALID = (
        Example(
            """
            import numpy as np
            def build_sentencepiece_luts(sp, vocab_size):
                base_bytes = np.zeros(vocab_size, dtype=np.int16)
                has_leading_space = np.zeros(vocab_size, dtype=np.bool_)
                for i in range(sp.vocab_size()):
                    if sp.is_byte(i):
                        base_bytes[i] = 1
                        continue
                    piece = sp.id_to_piece(i)
                    if piece.startswith("\\u2581"):
                        has_leading_space[i] = True
                        piece = piece[1:]
                    base_bytes[i] = len(piece.encode("utf-8"))
                return base_bytes, has_leading_space
            def eval_val(y, x, base_bytes_lut, has_leading_space_lut, is_boundary_token_lut):
                tb = base_bytes_lut[y]
                tb += has_leading_space_lut[y] & ~is_boundary_token_lut[x]
                return tb.sum()
            """,
            trap="the baseline: space stripped in the LUT, added once at eval",
        ),
    )
    INVALID = (
        Example(
            """
            import torch
            def build_luts(sp, vocab_size):
                base_bytes = torch.zeros(vocab_size, dtype=torch.int16)
                has_space = torch.zeros(vocab_size, dtype=torch.bool)
                for i in range(vocab_size):
                    piece = sp.id_to_piece(i)
                    base_bytes[i] = len(piece.encode("utf-8"))
                    if piece.startswith("\\u2581"):
                        has_space[i] = True
                        base_bytes[i] = len(piece[1:].encode("utf-8")) + 1
                return base_bytes, has_space
            def eval_val_sliding(tgt, prev, base_bytes_lut, has_leading_space_lut, is_boundary_token_lut):
                byte_count = 0.0
                tb = base_bytes_lut[tgt].double()
                tb += (has_leading_space_lut[tgt] & ~is_boundary_token_lut[prev]).double()
                byte_count += tb.sum()
                return byte_count
            """,
            trap="+1 in the LUT and has_leading_space at eval (PR #1632 lines 217/377)", lines=(10,),
        ),
    )
