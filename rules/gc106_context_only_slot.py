"""GC106 — context-only ("causal") SLOT: the delta is fitted on already-scored positions only."""

from golfcheck.findings import Severity
from golfcheck.rule import Example, Rule, Ruling
from ._eval_time import alias_guard_off, slot_sites


class ContextOnlySlot(Rule):
    id = "GC106"
    name = "context-only-slot"
    severity = Severity.WARNING
    summary = "Context-only SLOT: a delta fitted on positions [0:s) and used to score [s:wlen]; no ruling yet."
    rationale = (
        "Fitting the delta only on positions that earlier windows already scored satisfies C1/C3 on its face, "
        "and community reviews call it the legal alternative to standard SLOT, but no organiser has ruled on it "
        "(Issue #1336 is open). A human must check the mask bound and any warm-started state."
    )
    looks_for = (
        "The GC105 shape (fresh requires_grad tensor, optimizer, backward before scoring) whose loss mask or "
        "slice ends exactly where the scored slice starts: opt_mask[i, focal_start:s] = True, logits[:, :s]."
    )
    traps = (
        "A context-only delta shared by a batch of overlapping windows (torch.zeros(1, 1, d) for bsz windows) "
        "leaks: a later window's context holds the tokens an earlier window scores with that delta; that is GC105.",
        "The bound must be s itself: s + 1 reaches the first scored position and is GC105.",
        "Warm-starting the delta from the previous window carries only already-scored information and is "
        "fine; a reviewer should still confirm where the warm-start state comes from.",
        "A mask ending a stride before the window end (ctx_end = seq_len - stride) matches s on full windows "
        "but not necessarily on the shorter last window; the message says so.",
    )
    rulings = (
        Ruling("Issue #1336 (open question on causal SLOT)", "https://github.com/openai/parameter-golf/issues/1336",
               "no organiser ruling on context-only SLOT"),
        Ruling("PR #1350 (causal SLOT, flagged for its pre-quant TTT)", "https://github.com/openai/parameter-golf/pull/1350"),
    )

    def check(self, ctx):
        for facts in ctx.facts:
            for site in slot_sites(facts):
                if site.kind != "context":
                    continue
                message = (
                    f"context-only SLOT: `{', '.join(site.params)}` is fitted in `{site.function.name}` on "
                    f"already-scored positions and then scores {site.scored} ({site.detail}); no ruling yet "
                    f"(Issue #1336), so a reviewer must confirm the mask bound and warm-start state")
                off = alias_guard_off(facts, site.function, site.guards, ctx.config)
                yield ctx.finding(self, facts, site.at, f"dormant: {off}; {message}" if off else message,
                                  severity=Severity.NOTE if off else None)

    VALID = (
        Example(
            """
            import torch
            import torch.nn.functional as F

            def eval_val_sliding(model, windows, stride):
                loss_sum = 0.0
                for ws, x, y in windows:
                    wlen = x.size(1)
                    s = 0 if ws == 0 else wlen - stride
                    with torch.no_grad():
                        nll = F.cross_entropy(model(x)[0], y[0], reduction="none")
                    loss_sum += nll[s:wlen].sum()
                return loss_sum
            """,
            trap="plain sliding-window eval has no eval-time optimisation",
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
                    mask[0, s:wlen] = 1.0
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
            trap="a mask over the scored slice is GC105 (error), not GC106",
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
                    delta = torch.zeros(bsz, 1, base.size(-1), requires_grad=True)
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
            trap="causal + focal mask [focal_start:s], one delta per window (bsz rows), an LBFGS closure",
            lines=(15,),
        ),
        Example(
            """
            import torch
            import torch.nn.functional as F

            def eval_val_sliding(args, model, windows, stride, seq_len):
                loss_sum = 0.0
                for ws, x, y in windows:
                    wlen = x.size(1)
                    hidden = model.hidden(x).detach()
                    delta = torch.zeros(1, 1, hidden.size(-1), requires_grad=True)
                    opt = torch.optim.AdamW([delta], lr=args.slot_lr)
                    ctx_end = max(seq_len - stride, 1)
                    for _ in range(args.slot_steps):
                        opt.zero_grad()
                        logits = model.head(hidden + delta)
                        loss = F.cross_entropy(logits[:, :ctx_end - 1].flatten(0, 1), y[:, :ctx_end - 1].flatten())
                        loss.backward()
                        opt.step()
                    with torch.no_grad():
                        nll = F.cross_entropy(model.head(hidden + delta)[0], y[0], reduction="none")
                    s = 0 if ws == 0 else max(wlen - stride, 0)
                    loss_sum += nll[s:wlen].sum()
                return loss_sum
            """,
            trap="loss sliced to the context a stride before the window end (#1217 shape)",
            lines=(15,),
        ),
    )
