"""GC105 — SLOT: an eval-time delta optimised on a loss that covers the positions it then scores."""

from golfcheck.findings import Severity
from golfcheck.rule import Example, Rule, Ruling
from ._eval_time import alias_guard_off, slot_sites


class SlotScoredRegion(Rule):
    id = "GC105"
    name = "slot-scored-region"
    severity = Severity.ERROR
    summary = "SLOT delta / logit bias optimised on a loss over the positions it is then used to score."
    rationale = (
        "At position t the distribution may depend only on the artifact and x_1..x_{t-1} (Issue #1017, C1). "
        "Optimising a hidden delta or logit bias on the window's targets, then scoring the same targets with "
        "it, lets every scored probability see its own token: PR #1240's flip test found a 100% cross-position "
        "violation rate. No SLOT submission was accepted; #1209, #1229 and #1376 were closed."
    )
    looks_for = (
        "In a function that accumulates the scored loss: a fresh tensor created with requires_grad=True, an "
        "optimizer over it, and a backward() whose loss either has no position mask (whole window) or a "
        "mask written as mask[i, s:wlen] = 1 that covers the slice scored afterwards (loss_sum += nll[i, s:wlen])."
    )
    traps = (
        "Score-first TTT also runs an optimizer inside eval, but over model or LoRA parameters and after the "
        "chunk is scored; no fresh requires_grad tensor is optimised before scoring.",
        "Context-only SLOT, whose mask ends where the scored slice starts ([0:s] / [focal_start:s]), is GC106 "
        "when each window gets its own delta; one [1, 1, d] delta fitted on the contexts of a whole batch of "
        "overlapping windows is GC105 (a later window's context holds an earlier window's scored tokens).",
        "A mask ending at s + 1 overlaps the first scored position and is still GC105.",
    )
    rulings = (
        Ruling("PR #1240 (flip test; flagged #1209)", "https://github.com/openai/parameter-golf/pull/1240",
               "standard SLOT violates causal dependence on every scored position"),
        Ruling("Issue #1336", "https://github.com/openai/parameter-golf/issues/1336",
               "standard SLOT called proven illegal by #1240"),
        Ruling("PR #1376 closed by valerio-oai (2026-04-10)", "https://github.com/openai/parameter-golf/pull/1376"),
    )

    def check(self, ctx):
        for facts in ctx.facts:
            for site in slot_sites(facts):
                if site.kind not in ("scored", "whole", "shared", "unknown"):
                    continue
                params = ", ".join(site.params)
                if site.kind == "unknown":
                    message, severity = (
                        f"eval-time SLOT: `{params}` is optimised in `{site.function.name}` before the window is "
                        f"scored ({site.detail}); a reviewer must check that the loss never covers the scored "
                        f"slice {site.scored}"), Severity.WARNING
                elif site.kind == "shared":
                    message, severity = (
                        f"SLOT with a shared delta: `{params}` is optimised in `{site.function.name}` on the context "
                        f"positions of a batch of windows and then scores all of them: {site.detail} (C1; PR #1240)"), None
                else:
                    message, severity = (
                        f"SLOT on the scored region: `{params}` is optimised in `{site.function.name}` on a loss "
                        f"over the targets it then scores ({site.detail}), so p_t sees x_t (C1; PR #1240)"), None
                off = alias_guard_off(facts, site.function, site.guards, ctx.config)
                if off:
                    message, severity = f"dormant: {off}; {message}", Severity.NOTE
                yield ctx.finding(self, facts, site.at, message, severity=severity)

    VALID = (
        Example(
            """
            import torch
            import torch.nn.functional as F

            def eval_val_ttt(model, val_tokens, chunks, stride):
                loss_sum = 0.0
                opt = torch.optim.SGD(model.parameters(), lr=1e-3)
                for ci, (x, y) in enumerate(chunks):
                    with torch.no_grad():
                        nll = F.cross_entropy(model(x), y, reduction="none")
                        loss_sum += nll[:, -stride:].sum()
                    loss = F.cross_entropy(model(x), y)
                    loss.backward()
                    opt.step()
                return loss_sum
            """,
            trap="score-first TTT: an optimizer inside eval, over model parameters, after scoring",
        ),
        Example(
            """
            import torch
            import torch.nn.functional as F

            def eval_slot(model, windows, stride, steps):
                loss_sum = 0.0
                for ws, x, y in windows:
                    wlen = x.size(1)
                    s = 0 if ws == 0 else wlen - stride
                    hidden = model.hidden(x).detach()
                    delta = torch.zeros(1, 1, hidden.size(-1), requires_grad=True)
                    opt = torch.optim.AdamW([delta], lr=0.01)
                    mask = torch.zeros(1, wlen)
                    mask[0, :s] = 1.0
                    for _ in range(steps):
                        nll = F.cross_entropy(model.head(hidden + delta)[0], y[0], reduction="none")
                        loss = (nll * mask[0]).sum()
                        opt.zero_grad()
                        loss.backward()
                        opt.step()
                    with torch.no_grad():
                        nll = F.cross_entropy(model.head(hidden + delta)[0], y[0], reduction="none")
                    loss_sum += nll[s:wlen].sum()
                return loss_sum
            """,
            trap="context-only SLOT (mask ends at s) is GC106, not GC105",
        ),
        Example(
            """
            import torch
            import torch.nn.functional as F


            def slot_step(model, hidden, y, mask, steps, lr):
                delta = torch.zeros(hidden.size(0), 1, hidden.size(-1), requires_grad=True)
                opt = torch.optim.AdamW([delta], lr=lr)
                for _ in range(steps):
                    logits = model.head(hidden + delta)
                    nll = F.cross_entropy(logits.flatten(0, 1), y.flatten(), reduction="none").view_as(y)
                    loss = nll[mask].mean()
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
                with torch.no_grad():
                    return model.head(hidden + delta)


            def eval_ttt_slot(model, chunks, stride, ttt_opt, steps, lr):
                loss_sum = 0.0
                for ci, (ws, x, y) in enumerate(chunks):
                    bsz, wlen = x.shape
                    hidden = model.hidden(x).detach()
                    mask = torch.zeros(bsz, wlen, dtype=torch.bool)
                    for i in range(bsz):
                        s = 0 if ws == 0 else wlen - stride
                        mask[i, 0:s] = True
                    logits = slot_step(model, hidden, y, mask, steps, lr)
                    nll = F.cross_entropy(logits.flatten(0, 1), y.flatten(), reduction="none").view(bsz, wlen)
                    for i in range(bsz):
                        s = 0 if ws == 0 else wlen - stride
                        loss_sum += nll[i, s:wlen].sum()
                    model(x, y).backward()
                    ttt_opt.step()
                return loss_sum
            """,
            trap="per-sample SLOT in a helper inside a score-first TTT loop, masked to the context [0:s] (GC106's question, not this rule's)",
        ),
    )
    INVALID = (
        Example(
            """
            import torch
            import torch.nn.functional as F

            def eval_causal_slot(model, windows, stride, focal):
                loss_sum = 0.0
                warm = None
                for ws, x, y in windows:
                    bsz, wlen = x.shape
                    focal_start = max(wlen - focal, 0)
                    base = model(x).detach()
                    opt_mask = torch.zeros(bsz, wlen, dtype=torch.bool)
                    for i in range(bsz):
                        s = 0 if ws == 0 else max(wlen - stride, 0)
                        if s > focal_start:
                            opt_mask[i, focal_start:s] = True
                    delta = torch.zeros(1, 1, base.size(-1), requires_grad=True)
                    lbfgs = torch.optim.LBFGS([delta], max_iter=20)

                    def closure():
                        lbfgs.zero_grad()
                        nll = F.cross_entropy((base + delta).flatten(0, 1), y.flatten(), reduction="none").view(bsz, wlen)
                        loss = nll[opt_mask].mean()
                        loss.backward()
                        return loss

                    lbfgs.step(closure)
                    warm = delta.detach().clone()
                    with torch.no_grad():
                        nll = F.cross_entropy((base + delta).flatten(0, 1), y.flatten(), reduction="none").view(bsz, wlen)
                    for i in range(bsz):
                        s = 0 if ws == 0 else max(wlen - stride, 0)
                        loss_sum += nll[i, s:wlen].sum()
                return loss_sum
            """,
            trap="the #1350 focal mask [focal_start:s], but one [1, 1, d] delta for the whole batch of overlapping windows: a later window's context holds an earlier window's scored tokens",
            lines=(15,),
        ),
        Example(
            """
            import torch
            import torch.nn.functional as F

            def eval_val_slot(model, windows, stride, steps):
                loss_sum = 0.0
                for ws, x, y in windows:
                    bsz, wlen = x.shape
                    hidden = model.hidden(x).detach()
                    delta = torch.zeros(bsz, 1, hidden.size(-1), requires_grad=True)
                    bias = torch.zeros(bsz, 1, model.vocab, requires_grad=True)
                    opt = torch.optim.AdamW([delta, bias], lr=0.008)
                    mask = torch.zeros(bsz, wlen)
                    for i in range(bsz):
                        s = 0 if ws == 0 else wlen - stride
                        mask[i, s:wlen] = 1.0
                    for _ in range(steps):
                        logits = model.head(hidden + delta) + bias
                        nll = F.cross_entropy(logits.flatten(0, 1), y.flatten(), reduction="none").view(bsz, wlen)
                        loss = (nll * mask).sum() / mask.sum()
                        opt.zero_grad()
                        loss.backward()
                        opt.step()
                    with torch.no_grad():
                        logits = model.head(hidden + delta) + bias
                        nll = F.cross_entropy(logits.flatten(0, 1), y.flatten(), reduction="none").view(bsz, wlen)
                    for i in range(bsz):
                        s = 0 if ws == 0 else wlen - stride
                        loss_sum += nll[i, s:wlen].sum()
                return loss_sum
            """,
            trap="scored-position SLOT: mask[i, s:wlen] = 1 equals the scoring slice (#1229 shape)",
            lines=(15,),
        ),
        Example(
            """
            import torch
            import torch.nn.functional as F

            def eval_val_slot(model, windows, stride, steps):
                loss_sum = 0.0
                for ws, x, y in windows:
                    wlen = x.size(1)
                    hidden = model.hidden(x).detach()
                    delta = torch.zeros(1, 1, hidden.size(-1), requires_grad=True)
                    opt = torch.optim.AdamW([delta], lr=0.005)
                    for _ in range(steps):
                        opt.zero_grad()
                        loss = F.cross_entropy(model.head(hidden + delta).flatten(0, 1), y.flatten())
                        loss.backward()
                        opt.step()
                    with torch.no_grad():
                        nll = F.cross_entropy(model.head(hidden + delta).flatten(0, 1), y.flatten(), reduction="none")
                    s = 0 if ws == 0 else wlen - stride
                    loss_sum += nll.view(-1, wlen)[0, s:wlen].sum()
                return loss_sum
            """,
            trap="whole-window SLOT: cross_entropy over every target with no mask (#1209 shape)",
            lines=(13,),
        ),
        Example(
            """
            import torch
            import torch.nn.functional as F

            def eval_slot(model, windows, stride, steps):
                loss_sum = 0.0
                for ws, x, y in windows:
                    wlen = x.size(1)
                    s = 0 if ws == 0 else wlen - stride
                    hidden = model.hidden(x).detach()
                    delta = torch.zeros(1, 1, hidden.size(-1), requires_grad=True)
                    opt = torch.optim.AdamW([delta], lr=0.01)
                    mask = torch.zeros(1, wlen)
                    mask[0, :s + 1] = 1.0
                    for _ in range(steps):
                        nll = F.cross_entropy(model.head(hidden + delta)[0], y[0], reduction="none")
                        loss = (nll * mask[0]).sum()
                        opt.zero_grad()
                        loss.backward()
                        opt.step()
                    with torch.no_grad():
                        nll = F.cross_entropy(model.head(hidden + delta)[0], y[0], reduction="none")
                    loss_sum += nll[s:wlen].sum()
                return loss_sum
            """,
            trap="off-by-one at s: a 'causal' mask that reaches position s overlaps the scored slice",
            lines=(13,),
        ),
        Example(
            """
            import os
            import torch
            import torch.nn.functional as F

            class Hyperparameters:
                slot_enabled = bool(int(os.environ.get("SLOT_ENABLED", "0")))

            def eval_val_sliding(args, model, windows, stride):
                loss_sum = 0.0
                use_slot = getattr(args, "slot_enabled", False)
                for ws, x, y in windows:
                    wlen = x.size(1)
                    hidden = model.hidden(x).detach()
                    if use_slot:
                        delta = torch.zeros(1, 1, hidden.size(-1), requires_grad=True)
                        opt = torch.optim.AdamW([delta], lr=0.003)
                        for _ in range(5):
                            opt.zero_grad()
                            loss = F.cross_entropy(model.head(hidden + delta)[:, :-1].flatten(0, 1), y[:, :-1].flatten())
                            loss.backward()
                            opt.step()
                        hidden = hidden + delta.detach()
                    with torch.no_grad():
                        nll = F.cross_entropy(model.head(hidden)[0], y[0], reduction="none")
                    s = 0 if ws == 0 else wlen - stride
                    loss_sum += nll[s:wlen].sum()
                return loss_sum
            """,
            trap="SLOT behind a local alias of SLOT_ENABLED=0 (HEAD 2026-03-31 record): dormant note",
            severity=Severity.NOTE,
            lines=(19,),
        ),
        Example(
            """
            import torch
            import torch.nn.functional as F


            def slot_step(model, hidden, y, mask, steps, lr):
                delta = torch.zeros(hidden.size(0), 1, hidden.size(-1), requires_grad=True)
                opt = torch.optim.AdamW([delta], lr=lr)
                for _ in range(steps):
                    logits = model.head(hidden + delta)
                    nll = F.cross_entropy(logits.flatten(0, 1), y.flatten(), reduction="none").view_as(y)
                    loss = nll[mask].mean()
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
                with torch.no_grad():
                    return model.head(hidden + delta)


            def eval_ttt_slot(model, chunks, stride, ttt_opt, steps, lr):
                loss_sum = 0.0
                for ci, (ws, x, y) in enumerate(chunks):
                    bsz, wlen = x.shape
                    hidden = model.hidden(x).detach()
                    mask = torch.zeros(bsz, wlen, dtype=torch.bool)
                    for i in range(bsz):
                        s = 0 if ws == 0 else wlen - stride
                        mask[i, s:wlen] = True
                    logits = slot_step(model, hidden, y, mask, steps, lr)
                    nll = F.cross_entropy(logits.flatten(0, 1), y.flatten(), reduction="none").view(bsz, wlen)
                    for i in range(bsz):
                        s = 0 if ws == 0 else wlen - stride
                        loss_sum += nll[i, s:wlen].sum()
                    model(x, y).backward()
                    ttt_opt.step()
                return loss_sum
            """,
            trap="per-sample SLOT in a helper inside a TTT loop: the caller's mask is the scored slice [s:wlen]", lines=(27,),
        ),
    )
