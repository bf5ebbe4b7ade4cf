"""GC902 — recognised legal pattern: phased / global TTT on documents that are already scored."""

from golfcheck.findings import Severity
from golfcheck.rule import Example, Rule, Ruling
from ._adaptation import Order, adaptations, first_per_loop


class PhasedGlobalTTT(Rule):
    id = "GC902"
    name = "phased-global-ttt"
    severity = Severity.NOTE
    summary = "Recognised legal pattern: a global TTT pass called from the scoring loop after the documents it trains on are scored."
    rationale = (
        "In phased TTT (PR #1610/#1626) documents are scored in a queue; after PHASED_TTT_PREFIX_DOCS documents "
        "are fully scored their tokens are gathered and global SGD runs on them, and later documents are scored "
        "with the updated model. The SGD helper alone looks like pre-quant TTT; what makes it legal is its call "
        "site, after the scoring of the documents it receives."
    )
    looks_for = (
        "A function that steps an optimizer on validation tokens without scoring them itself, called from inside "
        "a document/queue loop whose body accumulates the reported loss before the call."
    )
    traps = (
        "The same helper called from main before serialisation is GC201.",
        "golfcheck checks the order of scoring and the call, not that the gathered documents are exactly the "
        "scored ones; a reviewer confirms the gather (HEAD 2026-04-13_VarLenAttn_PhasingTTT2000 lines 2578-2594).",
    )
    rulings = (
        Ruling("README: TTT only on already-evaluated tokens", "https://github.com/openai/parameter-golf#faq"),
        Ruling("PR #1610 / #1626: phased global TTT on scored documents (merged)",
               "https://github.com/openai/parameter-golf/pull/1626"),
    )

    def check(self, ctx):
        for facts in ctx.facts:
            for a in first_per_loop(adaptations(facts)):
                if a.order is Order.SCORE_FIRST and a.lifted:
                    yield ctx.finding(self, facts, a.decided.line, (
                        f"LEGAL phased/global TTT: `{a.function.name}` trains on validation tokens, and this call "
                        f"in `{a.decided.function.name}` comes after the loop's scoring (line {a.score_line}); "
                        f"check that it only receives documents already scored (PR #1610/#1626 pattern)"))

    VALID = (
        Example(
            """
            import torch

            def global_sgd(model, tokens, opt):
                for _ in range(2):
                    model(tokens[:-1], tokens[1:]).backward()
                    opt.step()

            def main(model, val_tokens, opt):
                global_sgd(model, val_tokens, opt)
                torch.save(model.state_dict(), "final_model.pt")
            """,
            trap="the same helper called before serialisation is GC201, not this note",
        ),
    )
    INVALID = (
        Example(
            """
            import torch

            def _accumulate_bpb(ptl, y, loss_sum, byte_sum):
                loss_sum += ptl.sum()
                byte_sum += y.numel()

            def train_global_sgd(model, tokens, opt, epochs):
                for _ in range(epochs):
                    for bs in range(0, tokens.numel() - 1, 2048):
                        local = tokens[bs:bs + 2049]
                        model(local[:-1], local[1:]).backward()
                        opt.step()

            def eval_val_ttt_phased(model, val_data, opt, queue, prefix_docs):
                loss_sum = torch.zeros((), dtype=torch.float64)
                byte_sum = torch.zeros((), dtype=torch.float64)
                scored_docs = []
                for batch in queue:
                    for start, length in batch:
                        doc = val_data.val_tokens[start:start + length]
                        with torch.no_grad():
                            _accumulate_bpb(model(doc[:-1], doc[1:]), doc[1:], loss_sum, byte_sum)
                    scored_docs.extend(batch)
                    if len(scored_docs) >= prefix_docs:
                        chunks = [val_data.val_tokens[s:s + n] for s, n in scored_docs]
                        train_global_sgd(model, torch.cat(chunks), opt, 1)
                        scored_docs = []
                return loss_sum / byte_sum
            """,
            trap="global SGD on gathered already-scored documents (HEAD 2026-04-13_VarLenAttn_PhasingTTT2000 shape)",
            lines=(26,),
        ),
    )
