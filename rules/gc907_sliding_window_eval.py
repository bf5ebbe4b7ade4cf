"""GC907 — sliding-window evaluation with any stride and context length (note)."""

from golfcheck.findings import Severity
from golfcheck.rule import Example, Rule, Ruling
from ._eval_time import sliding_window_evals


class SlidingWindowEval(Rule):
    id = "GC907"
    name = "sliding-window-eval"
    severity = Severity.NOTE
    summary = "Sliding-window evaluation (any stride, any context length) is legal."
    rationale = (
        "The README allows evaluation at any sequence length; scoring each token once, in the last `stride` "
        "positions of an overlapping window, conditions only on the prefix."
    )
    looks_for = "A function that accumulates the scored loss and steps its windows by a stride (one note per file)."
    traps = (
        "Re-scoring the overlap or keeping the best of several passes is GC104, not this note.",
        "Optimising a delta on the window before scoring it is GC105/GC106.",
        "EVAL_STRIDE=0 in the run configuration selects the non-overlapping eval: no note.",
    )
    rulings = (
        Ruling("README: 'we allow evaluation at any sequence length'", "https://github.com/openai/parameter-golf/blob/main/README.md"),
    )

    def check(self, ctx):
        stride = ctx.config.get("eval_stride")
        if stride is not None and stride.value == 0:
            return  # EVAL_STRIDE=0 selects the plain chunked eval: nothing to recognise in this run
        value = f" (EVAL_STRIDE={stride.value}, {stride.source})" if stride is not None else ""
        for facts in ctx.facts:
            for f in sliding_window_evals(facts):
                yield ctx.finding(self, facts, f.node, (
                    f"sliding-window evaluation in `{f.name}`{value}: each token is scored once with a longer "
                    f"prefix as context (legal at any stride and context length)"))

    VALID = (
        Example(
            """
            import torch

            def eval_val(model, x, y):
                loss_sum = 0.0
                for i in range(x.size(0)):
                    loss_sum += torch.nn.functional.cross_entropy(model(x[i]), y[i], reduction="sum")
                return loss_sum
            """,
            trap="non-overlapping chunked eval has no stride",
        ),
    )
    INVALID = (
        Example(
            """
            import torch

            def eval_val_sliding(model, val_tokens, seq_len, stride):
                loss_sum = 0.0
                for ws in range(0, val_tokens.numel() - 1, stride):
                    chunk = val_tokens[ws:ws + seq_len + 1]
                    nll = torch.nn.functional.cross_entropy(model(chunk[:-1]), chunk[1:], reduction="none")
                    s = 0 if ws == 0 else seq_len - stride
                    loss_sum += nll[s:].sum()
                return loss_sum
            """,
            trap="stride-stepped windows scoring the last `stride` positions",
            lines=(3,),
        ),
    )
