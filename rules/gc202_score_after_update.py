"""GC202 — score-after-update: TTT that scores validation tokens after updates that have seen them."""

from golfcheck.findings import Severity
from golfcheck.rule import Example, Rule, Ruling
from ._adaptation import Order, adaptations, first_per_loop


class ScoreAfterUpdate(Rule):
    id = "GC202"
    name = "score-after-update"
    severity = Severity.ERROR
    ruling_date = "2026-03-27"
    summary = "A TTT loop accumulates a chunk's NLL after an update that has already trained on that chunk."
    rationale = (
        "Condition 3 of Issue #1017: a position's score is fixed before any update that depends on x_t. In "
        "per-chunk or per-document TTT the NLL added to the reported loss must be computed before any update "
        "that has seen the chunk. valerio-oai (Issue #677) ruled multi-epoch TTT that reports the final pass "
        "invalid; Issue #1082 flagged PR #672 for training 30 epochs on all of val and then scoring."
    )
    looks_for = (
        "An optimizer step on validation-derived tokens and a reported-loss accumulation that share an epoch "
        "loop (the later epoch scores tokens earlier epochs trained on, e.g. `if epoch == E-1: loss_sum += ...`); "
        "an accumulation that follows the step inside the same chunk loop; or a flat adaptation on all of val "
        "with no scoring before it, followed by evaluation (no quantisation in between; that is GC201)."
    )
    traps = (
        "Multi-epoch updates on an already-scored chunk are legal: the #549/#1413 recipe scores chunk ci once, "
        "then runs ttt_epochs=3 on it; the epoch loop is inside the chunk loop and holds no scoring (GC901).",
        "A training-loss log after the step (epoch_loss += loss.item()) is not a reported score.",
        "Per-document LoRA TTT that scores a chunk, then steps on it, then moves on, is score-first (GC909).",
    )
    rulings = (
        Ruling("Issue #677 (valerio-oai, 2026-03-27)", "https://github.com/openai/parameter-golf/issues/677",
               "multi-epoch TTT that reports the score from the final pass is invalid"),
        Ruling("Issue #1082 (PR #672 trains 30 epochs on all of val, then scores)",
               "https://github.com/openai/parameter-golf/issues/1082"),
        Ruling("dexhunter on PR #713 (2026-03-29): score on last epoch",
               "https://github.com/openai/parameter-golf/pull/713"),
        Ruling("Issue #1017 Condition 3 (score before update)", "https://github.com/openai/parameter-golf/issues/1017"),
    )

    def check(self, ctx):
        for facts in ctx.facts:
            for a in first_per_loop(adaptations(facts)):
                if a.order is Order.SCORE_AFTER and a.repeat_loop is not None:
                    yield ctx.finding(self, facts, a.score_line, (
                        f"score after update: the loss accumulated here shares the repeat loop at line "
                        f"{a.repeat_loop.line} with the optimizer step at line {a.step.line}, so a later pass scores "
                        f"tokens that earlier passes already trained on (Issue #677: multi-epoch TTT scoring the "
                        f"final pass is invalid)"))
                elif a.order is Order.SCORE_AFTER:
                    yield ctx.finding(self, facts, a.score_line, (
                        f"score after update: this accumulation comes after the optimizer step at line {a.step.line} "
                        f"in `{a.decided.function.name}`, so the tokens are scored by weights that have trained on "
                        f"them (Issue #1017 C3; Issue #677)"))
                elif a.order is Order.UNSCORED and not a.warmup and a.serialise_line is None:
                    yield ctx.finding(self, facts, a.loop_line, (
                        f"adapt-then-evaluate: `{a.function.name}` takes optimizer steps on validation tokens (step at "
                        f"line {a.step.line}) that nothing scores before the update{a.describe_chain()}; any "
                        f"evaluation afterwards scores tokens the model has trained on (Issue #1082 on PR #672)"))

    VALID = (
        Example(
            """
            import torch

            def eval_val_ttt(model, val_tokens, chunk, epochs, opt):
                loss_sum = torch.zeros((), dtype=torch.float64)
                byte_count = torch.zeros((), dtype=torch.float64)
                n = val_tokens.numel() // chunk
                for ci in range(n):
                    piece = val_tokens[ci * chunk:(ci + 1) * chunk + 1]
                    x, y = piece[:-1], piece[1:]
                    with torch.inference_mode():
                        loss_sum += model.nll(x, y).sum()
                        byte_count += y.numel()
                    is_last_chunk = ci == n - 1
                    if not is_last_chunk:
                        for epoch in range(epochs):
                            loss = model(x, y)
                            loss.backward()
                            opt.step()
                            opt.zero_grad()
                return loss_sum / byte_count
            """,
            trap="multi-epoch updates on an already-scored chunk (#549/#1413, ttt_epochs=3) are legal",
        ),
        Example(
            """
            import torch

            def eval_val_lora_ttt(model, lora, opt, val_tokens, docs, chunk):
                loss_sum = torch.zeros((), dtype=torch.float64)
                byte_sum = torch.zeros((), dtype=torch.float64)
                for start, length in docs:
                    lora.reset()
                    for ci in range(length // chunk):
                        piece = val_tokens[start + ci * chunk:start + (ci + 1) * chunk + 1]
                        ptl = model(piece[:-1], piece[1:], lora=lora)
                        with torch.no_grad():
                            loss_sum += ptl.sum()
                            byte_sum += ptl.numel()
                        ptl.mean().backward()
                        opt.step()
                        opt.zero_grad()
                        train_loss_total = 0.0
                        train_loss_total += ptl.mean().item()
                return loss_sum / byte_sum
            """,
            trap="per-document LoRA TTT: the chunk's NLL is accumulated from the same forward before the step",
        ),
        Example(
            """
            import math
            import torch
            import torch.nn.functional as F
            def ttt_eval(M, val_data, W, K, Q, G, O, opt, E):
                V = val_data.val_tokens
                u = [[] for _ in range(K)]
                for w in W:
                    u[min(w // Q, K - 1)].append(w)
                R = torch.zeros((), dtype=torch.float64)
                J = torch.zeros((), dtype=torch.float64)
                for D in range(K):
                    b = u[D]
                    with torch.inference_mode():
                        for w in b:
                            t = V[w:w + G + 1]
                            l = F.cross_entropy(M(t[:-1]), t[1:], reduction="none")
                            R += l[-O:].double().sum()
                            J += O
                    if D < K - 1:
                        g = D * Q
                        for e in range(E):
                            for s in range(g, g + Q - G, G):
                                z = V[s:s + G + 1]
                                M(z[:-1], z[1:]).backward()
                                opt.step()
                r = (R / J).item()
                return r, r / math.log(2.0)
            """,
            trap="minified score-first TTT: windows come from a table built before the chunk loop and indexed "
                 "by the chunk, the training slice from the same chunk index after scoring; the scored sum is "
                 "recognised by its flow (a loss, never backpropagated, returned), not by its name",
        ),
    )
    INVALID = (
        Example(
            """
            import torch

            def lora_ttt_eval(model, lora, opt, val_tokens, chunks, ttt_epochs):
                loss_sum = torch.zeros((), dtype=torch.float64)
                byte_sum = torch.zeros((), dtype=torch.float64)
                for epoch in range(ttt_epochs):
                    for ci in range(chunks):
                        piece = val_tokens[ci * 256:(ci + 1) * 256 + 1]
                        ptl = model(piece[:-1], piece[1:], lora=lora)
                        if epoch == ttt_epochs - 1:
                            with torch.no_grad():
                                loss_sum += ptl.sum()
                                byte_sum += ptl.numel()
                        ptl.mean().backward()
                        opt.step()
                        opt.zero_grad()
                return loss_sum / byte_sum
            """,
            trap="epochs outside the chunk loop, scoring only on the last epoch (#713 shape)",
            lines=(12,),
        ),
        Example(
            """
            import torch

            def eval_after_update(model, opt, val_tokens, chunks):
                loss_sum = torch.zeros((), dtype=torch.float64)
                byte_count = torch.zeros((), dtype=torch.float64)
                for ci in range(chunks):
                    piece = val_tokens[ci * 1024:(ci + 1) * 1024 + 1]
                    loss = model(piece[:-1], piece[1:])
                    loss.backward()
                    opt.step()
                    opt.zero_grad()
                    with torch.no_grad():
                        loss_sum += model.nll(piece[:-1], piece[1:]).sum()
                        byte_count += 1024
                return loss_sum / byte_count
            """,
            trap="per-chunk: update on the chunk, then score it",
            lines=(13,),
        ),
        Example(
            """
            import math
            import torch
            import torch.nn.functional as F
            def ttt_eval(M, val_data, K, Q, G, opt):
                V = val_data.val_tokens
                R = torch.zeros((), dtype=torch.float64)
                J = torch.zeros((), dtype=torch.float64)
                for D in range(K):
                    g = D * Q
                    z = V[g:g + G + 1]
                    M(z[:-1], z[1:]).backward()
                    opt.step()
                    with torch.inference_mode():
                        l = F.cross_entropy(M(z[:-1]), z[1:], reduction="none")
                        R += l.double().sum()
                        J += G
                r = (R / J).item()
                return r, r / math.log(2.0)
            """,
            trap="the same minified names, but the chunk is trained on before it is scored",
            lines=(15,),
        ),
        Example(
            """
            import torch

            def main(model, val_tokens, opt, eval_val_sliding):
                torch.save(model.state_dict(), "final_model.int6.ptz")
                for ep in range(30):
                    for bs in range(0, val_tokens.numel() - 2049, 2048):
                        local = val_tokens[bs:bs + 2049]
                        loss = model(local[:-1], local[1:])
                        loss.backward()
                        opt.step()
                        opt.zero_grad()
                print(eval_val_sliding(model, val_tokens))
            """,
            trap="flat: 30 epochs on all of val after serialisation, then the reported eval (#672 shape)",
            lines=(5,),
        ),
    )
