"""GC909 — recognised legal pattern: per-document LoRA TTT, score-first, with the adapter reset per document."""

from golfcheck.findings import Severity
from golfcheck.rule import Example, Rule, Ruling
from ._adaptation import Order, adaptations, first_per_loop


class PerDocLoraTTT(Rule):
    id = "GC909"
    name = "per-document-lora-ttt"
    severity = Severity.NOTE
    summary = "Recognised legal pattern: per-document LoRA TTT that scores each chunk before its step and resets per document."
    rationale = (
        "Per-document LoRA TTT (#1530, 'doc-independent') scores each chunk of a document with the current adapter, "
        "then steps on it, and resets the adapter and optimizer for the next batch of documents, so no state "
        "crosses documents. It is legal when its compile warmup uses synthetic tokens (GC203 otherwise)."
    )
    looks_for = (
        "A score-first step (reported-loss accumulation before the optimizer step in the chunk loop) inside a "
        "document loop that calls reset() on the adapter/optimizer before the step."
    )
    traps = (
        "Scoring on the last epoch only, with epochs around the chunks, is GC202 even with a reset.",
        "Not printed when the same file warms the adapter up on validation tokens (GC203 says why).",
    )
    rulings = (
        Ruling("PR #1530 (merged): per-document LoRA TTT with reset", "https://github.com/openai/parameter-golf/pull/1530"),
        Ruling("README: TTT only on already-evaluated tokens", "https://github.com/openai/parameter-golf#faq"),
    )

    def check(self, ctx):
        for facts in ctx.facts:
            items = adaptations(facts)
            if any(a.order is Order.UNSCORED and a.warmup for a in items):
                continue
            for a in first_per_loop(items):
                if a.order is Order.SCORE_FIRST and a.reset and not a.lifted:
                    yield ctx.finding(self, facts, a.loop_line, (
                        f"LEGAL per-document LoRA TTT: `{a.function.name}` resets the adapter per document, scores "
                        f"each chunk (line {a.score_line}) before its step (line {a.step.line}) (PR #1530 pattern)"))

    VALID = (
        Example(
            """
            import torch

            def eval_lora(model, lora, opt, val_tokens, docs):
                loss_sum = torch.zeros((), dtype=torch.float64)
                byte_sum = torch.zeros((), dtype=torch.float64)
                for start, length in docs:
                    lora.reset()
                    for ci in range(length // 256):
                        piece = val_tokens[start + ci * 256:start + ci * 256 + 257]
                        ptl = model(piece[:-1], piece[1:], lora=lora)
                        with torch.no_grad():
                            loss_sum += ptl.sum()
                            byte_sum += 256
                        ptl.mean().backward()
                        opt.step()
                return loss_sum / byte_sum

            def warmup(model, lora, opt, val_tokens, log):
                log("ttt_lora:warming up compile")
                for bsz in (64,):
                    row = val_tokens[:257]
                    model(row[:-1], row[1:], lora=lora).mean().backward()
                    opt.step()
            """,
            trap="the file warms the adapter up on validation tokens: GC203 reports it, no legal-pattern note",
        ),
    )
    INVALID = (
        Example(
            """
            import torch

            def eval_val_ttt_lora(model, lora, opt, val_tokens, docs):
                loss_sum = torch.zeros((), dtype=torch.float64)
                byte_sum = torch.zeros((), dtype=torch.float64)
                for start, length in docs:
                    lora.reset()
                    for ci in range(length // 256):
                        piece = val_tokens[start + ci * 256:start + ci * 256 + 257]
                        ptl = model(piece[:-1], piece[1:], lora=lora)
                        with torch.no_grad():
                            loss_sum += ptl.sum()
                            byte_sum += 256
                        ptl.mean().backward()
                        opt.step()
                return loss_sum / byte_sum

            def warmup(model, lora, opt, vocab):
                xw = torch.randint(0, vocab, (64, 257))
                model(xw[:, :-1], xw[:, 1:], lora=lora).mean().backward()
                opt.step()
            """,
            trap="per-document LoRA TTT with reset, compile warmup on torch.randint tokens",
            lines=(6,),
        ),
    )
