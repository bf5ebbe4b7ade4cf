"""GC102 — an eval-time cache or table update whose token slice reaches past the scored frontier."""

import libcst as cst

from golfcheck.findings import Severity
from golfcheck.rule import Example, Rule, Ruling
from golfcheck.source import dotted_name

from . import _ngram

UPDATE_CALLS = {"update", "update_batch", "update_cache", "update_counts", "update_from_list", "add_tokens", "observe",
                "absorb", "feed", "ingest", "push", "extend_cache", "add", "scatter_add_", "index_add_"}


def _past_end(node: cst.CSTNode, val: set[str]):
    """``V[a : b + k]`` slices of validation tokens in ``node``: yields (subscript, text of b)."""
    for d in _ngram._descendants(node):
        if not isinstance(d, cst.Subscript) or (dotted_name(d.value) or "") not in val:
            continue
        for el in d.slice:
            up = el.slice.upper if isinstance(el.slice, cst.Slice) else None
            if (isinstance(up, cst.BinaryOperation) and isinstance(up.operator, cst.Add)
                    and isinstance(up.right, cst.Integer) and int(up.right.value, 0) > 0):
                yield d, up.left


def _window_ends(facts, fn, val: set[str]) -> set[str]:
    """Bounds ``b`` of ``chunk = V[ws : b + 1]`` that is then split into inputs/targets (``[:-1]``, ``[1:]``)."""
    split = {s.base for s in fn.subscripts if s.base and any(
        isinstance(el.slice, cst.Slice) and facts.code(el.slice).replace(" ", "") in (":-1", "1:") for el in s.node.slice)}
    ends = set()
    for a in fn.assigns:
        if a.value is None:
            continue
        for sub, bound in _past_end(a.value, val):
            if set(a.targets) & split or sub is not a.value and facts.code(a.value).replace(" ", "").endswith(("[:-1]", "[1:]")):
                ends.add(facts.code(bound))
    return ends


class UpdatePastFrontier(Rule):
    id = "GC102"
    name = "update-past-scored-frontier"
    severity = Severity.ERROR
    summary = "An eval-time cache/table update absorbs tokens one past the chunk it has scored (off-by-one leak)."
    rationale = (
        "Eval-time state (n-gram counts, PPM counters, caches) may absorb token x_j only after position j "
        "has been scored (Issue #1017, C1/C3). Slicing the update one token past the chunk end puts the "
        "next chunk's first target into the state before it is scored. PR #779 fixed exactly this in "
        "commit c58742a3e after review; the #798 review flagged the same '+1 boundary leak'."
    )
    looks_for = (
        "On the evaluation path: update-like calls (cache.update, update_batch, np.add.at, ...) whose argument "
        "slices validation tokens as V[a : b + k], where b is not the end of an inputs-plus-targets window."
    )
    traps = (
        "The +1 is correct when x/y come from val_tokens[ws:end+1] (inputs plus shifted targets): compare "
        "with the target indices scored, not with the input window.",
        "A bound that is itself offset (chunk_end = (ci+1)*C + 1 passed as an argument) is not a slice and is not judged.",
    )
    rulings = (
        Ruling("PR #779 commit c58742a3e (reviewer feedback)", "https://github.com/openai/parameter-golf/pull/779",
               "remove +1 from chunk boundary in n-gram cache update"),
        Ruling("Community review of PR #798", "https://github.com/openai/parameter-golf/pull/798",
               "the +1 boundary leak flagged on #779 is still present"),
        Ruling("Issue #1017, conditions C1/C3", "https://github.com/openai/parameter-golf/issues/1017",
               "score before any update that depends on x_t"),
    )

    def check(self, ctx):
        for facts in ctx.facts:
            for fn in _ngram.eval_functions(facts):
                val = facts.val_tainted(fn)
                if not val:
                    continue
                ends = None
                for c in fn.calls:
                    if c.name not in UPDATE_CALLS and c.func not in ("np.add.at", "numpy.add.at"):
                        continue
                    for sub, bound in _past_end(c.node, val):
                        if ends is None:
                            ends = _window_ends(facts, fn, val)
                        if facts.code(bound) in ends:
                            continue
                        yield ctx.finding(
                            self, facts, c.node,
                            f"`{facts.code(c.node.func)}` absorbs `{facts.code(sub)}`: the slice ends "
                            f"past `{facts.code(bound)}`, one token beyond the chunk that has been scored",
                            evidence=facts.code(c.node)[:200],
                        )

    VALID = (
        Example(
            """
            def eval_val(model, val_tokens, cache, C):
                loss_sum = 0.0
                for ci in range(len(val_tokens) // C):
                    chunk_start, chunk_end = ci * C, (ci + 1) * C
                    loss_sum += model.score(val_tokens, chunk_start, chunk_end)
                    cache.update(val_tokens[chunk_start:chunk_end])
                return loss_sum
            """,
            trap="update slice ends at the scored chunk end (the #779 fix)",
        ),
        Example(
            """
            def eval_val(model, val_tokens, cache, seq_len):
                loss_sum = 0.0
                for ws in range(0, len(val_tokens) - 1, seq_len):
                    end = min(ws + seq_len, len(val_tokens) - 1)
                    chunk = val_tokens[ws:end + 1]
                    x, y = chunk[:-1], chunk[1:]
                    loss_sum += model.nll(x, y).sum()
                    cache.update(val_tokens[ws:end + 1])
                return loss_sum
            """,
            trap="+1 is correct when x/y come from val_tokens[ws:end+1]",
        ),
    )
    INVALID = (
        Example(
            """
            def eval_val(model, val_tokens, mixer, C):
                loss_sum = 0.0
                total = len(val_tokens) - 1
                for ci in range((total + C - 1) // C):
                    loss_sum += model.score_chunk(val_tokens, ci, C)
                    chunk_start_tok = ci * C
                    chunk_end_tok = min((ci + 1) * C, total)
                    mixer.update(val_tokens[chunk_start_tok:chunk_end_tok + 1])
                return loss_sum
            """,
            trap="PR #779 before c58742a3e: update slice one past the chunk end",
            lines=(8,),
        ),
    )
