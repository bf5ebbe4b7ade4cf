"""GC203 — a warmup or compile pass that takes gradient steps on validation tokens before the eval."""

from golfcheck.findings import Severity
from golfcheck.rule import Example, Rule, Ruling
from ._adaptation import Order, adaptations, first_per_loop


class ValWarmup(Rule):
    id = "GC203"
    name = "val-token-warmup"
    severity = Severity.WARNING
    summary = "A warmup/compile pass runs backward() and optimizer steps on real validation tokens before they are scored."
    rationale = (
        "A compile warmup that steps on validation tokens fits the Issue #677 pattern structurally, even when the "
        "adapter and optimizer are thrown away. dexhunter flagged it on PR #1530 (2026-04-11); the author answered "
        "that the state is reset and the effect within variance, and #1530 stayed on the leaderboard. "
        "codemath3000 re-flagged the pattern on PR #1900; the accepted practice since is random or synthetic "
        "warmup tokens (PR #2014: 'compile warmup (random tokens, no val data)'). No ruling: a reviewer decides."
    )
    looks_for = (
        "A warmup-marked pass (warmup in a loop variable, a nearby log string or the function name) that takes "
        "an optimizer step after a backward() whose loss reads validation-derived tokens, with no scoring of "
        "those tokens before it."
    )
    traps = (
        "Warmup on torch.randint/synthetic tokens touches no validation data (PR #2014).",
        "The training loop's own warmup steps read training shards, not validation tokens.",
        "Merged precedent: HEAD 2026-04-10_VarLenAttn (PR #1530) warms up on val tokens and stays on the board; "
        "it is reported as a warning, with the precedent named.",
    )
    rulings = (
        Ruling("dexhunter on PR #1530 (2026-04-11): warmup on val tokens fits the #677 pattern",
               "https://github.com/openai/parameter-golf/pull/1530"),
        Ruling("Issue #677 (valerio-oai, 2026-03-27)", "https://github.com/openai/parameter-golf/issues/677"),
        Ruling("PR #2014: compile warmup on random tokens, no val data",
               "https://github.com/openai/parameter-golf/pull/2014"),
    )

    def check(self, ctx):
        for facts in ctx.facts:
            for a in first_per_loop(adaptations(facts)):
                if a.order is Order.UNSCORED and a.warmup:
                    yield ctx.finding(self, facts, a.loop_line, (
                        f"warmup on validation tokens: this pass steps an optimizer (line {a.step.line}) on a loss "
                        f"over val-derived tokens before they are scored; use torch.randint/synthetic tokens "
                        f"(PR #2014). Merged precedent: PR #1530 kept its val-token warmup after review, so this "
                        f"needs a reviewer rather than a ruling"))

    VALID = (
        Example(
            """
            import torch

            def warmup_ttt_compile(model, make_lora, make_opt, chunk, vocab):
                for bsz in (64,):
                    lora, opt = make_lora(bsz), None
                    opt = make_opt(lora)
                    xw = torch.randint(0, vocab, (bsz, chunk + 1))
                    ptl = model(xw[:, :-1], xw[:, 1:], lora=lora)
                    ptl.mean().backward()
                    opt.step()
                    del lora, opt
            """,
            trap="compile warmup on torch.randint tokens (PR #2014)",
        ),
        Example(
            """
            import torch

            def train(model, opt, loader, warmup_steps):
                for warmup_step in range(warmup_steps):
                    x, y = loader.next_batch()
                    warmup_loss = model(x, y)
                    warmup_loss.backward()
                    opt.step()
            """,
            trap="the training loop's warmup reads training shards",
        ),
    )
    INVALID = (
        Example(
            """
            import torch

            def train_and_eval(model, val_data, make_lora, make_opt, chunk, log):
                log("ttt_lora:warming up compile")
                val_tokens_idx = val_data.val_tokens.to(torch.int32)
                for bsz in (64,):
                    wl = make_lora(bsz)
                    wo = make_opt(wl)
                    row_w = val_tokens_idx[: chunk + 1]
                    xw = row_w[:chunk].unsqueeze(0).expand(bsz, -1)
                    yw = row_w[1:].unsqueeze(0).expand(bsz, -1)
                    ptl = model(xw, yw, lora=wl)
                    ptl.mean().backward()
                    wo.step()
                    del wl, wo
            """,
            trap="throwaway LoRA warmed up on the first validation tokens (HEAD 2026-04-10_VarLenAttn, PR #1530)",
            lines=(6,),
        ),
    )
