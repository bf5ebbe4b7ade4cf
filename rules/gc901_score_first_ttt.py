"""GC901 — recognised legal pattern: score-first chunked TTT (the PR #549 / #1413 recipe)."""

from golfcheck.findings import Severity
from golfcheck.rule import Example, Rule, Ruling
from ._adaptation import Order, adaptations, first_per_loop


class ScoreFirstTTT(Rule):
    id = "GC901"
    name = "score-first-ttt"
    severity = Severity.NOTE
    summary = "Recognised legal pattern: each chunk is scored before any optimizer step trains on it."
    rationale = (
        "The README allows test-time training on validation tokens already evaluated. The PR #461 recipe, merged "
        "in #549 and #1413, scores every window of chunk ci under no_grad/inference_mode, adds it to loss_sum, "
        "then (if not the last chunk) trains on chunk ci for a few epochs. Printed so a reviewer sees why a "
        "backward() on val tokens passed."
    )
    looks_for = (
        "An optimizer step on validation-derived tokens inside a chunk loop whose body accumulates the reported "
        "loss before the step; any epoch loop sits inside the chunk loop, after the score. The is_last_chunk "
        "guard is the usual signature but is not required."
    )
    traps = (
        "A per-document adapter reset in the loop makes it GC909 (per-document LoRA TTT).",
        "An epoch loop that encloses both the score and the step is GC202, whatever the order inside it.",
        "Names decide nothing: eval_val_sliding_ttt is legal here, ttt_adapt_adamw elsewhere is GC201.",
    )
    rulings = (
        Ruling("README: TTT only on already-evaluated tokens", "https://github.com/openai/parameter-golf#faq"),
        Ruling("PR #549 (merged 2026-03-24): legal score-first TTT", "https://github.com/openai/parameter-golf/pull/549"),
        Ruling("PR #1413 (merged): score-first chunk TTT, is_last_chunk guard",
               "https://github.com/openai/parameter-golf/pull/1413"),
    )

    def check(self, ctx):
        for facts in ctx.facts:
            for a in first_per_loop(adaptations(facts)):
                if a.order is Order.SCORE_FIRST and not a.lifted and not a.reset:
                    yield ctx.finding(self, facts, a.loop_line, (
                        f"LEGAL score-first TTT: in `{a.function.name}` each chunk's loss is accumulated (line "
                        f"{a.score_line}) before the optimizer step (line {a.step.line}) trains on it "
                        f"(PR #549/#1413 pattern)"))

    VALID = (
        Example(
            """
            import torch

            def pre_quant_ttt(model, val_tokens, opt, epochs):
                for epoch in range(epochs):
                    for bs in range(0, val_tokens.numel() - 1, 2048):
                        local = val_tokens[bs:bs + 2049]
                        model(local[:-1], local[1:]).backward()
                        opt.step()
            """,
            trap="no scoring before the step: not this pattern (GC201/GC202)",
        ),
    )
    INVALID = (
        Example(
            """
            import torch

            def eval_val_sliding_ttt(model, val_tokens, chunk, epochs, opt):
                loss_sum = torch.zeros((), dtype=torch.float64)
                byte_count = torch.zeros((), dtype=torch.float64)
                num_chunks = val_tokens.numel() // chunk
                for ci in range(num_chunks):
                    piece = val_tokens[ci * chunk:(ci + 1) * chunk + 1]
                    with torch.inference_mode():
                        loss_sum += model.nll(piece[:-1], piece[1:]).sum()
                        byte_count += chunk
                    is_last_chunk = ci == num_chunks - 1
                    if not is_last_chunk:
                        for _ep in range(epochs):
                            model(piece[:-1], piece[1:]).backward()
                            opt.step()
                            opt.zero_grad()
                return loss_sum / byte_count
            """,
            trap="the #549/#1413 shape: score under inference_mode, then ttt_epochs on the scored chunk",
            lines=(7,),
        ),
    )
