"""GC103 — per-token oracle selection between predictors using the realised token's loss."""

import libcst as cst

from golfcheck.findings import Severity
from golfcheck.rule import Example, Rule, Ruling

from . import _ngram

SELECT_CALLS = {"min", "minimum", "fmin", "amin", "max", "maximum", "fmax", "amax"}
ORDER_OPS = (cst.LessThan, cst.LessThanEqual, cst.GreaterThan, cst.GreaterThanEqual)


def _loss_operands(exprs, lossy: frozenset[str]) -> int:
    """How many of ``exprs`` read a per-token loss of the realised target."""
    return sum(1 for e in exprs if _ngram.value_names(e) & lossy)


def _compares_losses(test: cst.CSTNode, lossy: frozenset[str]) -> bool:
    for d in _ngram._descendants(test):
        if isinstance(d, cst.Comparison) and len(d.comparisons) == 1 and isinstance(d.comparisons[0].operator, ORDER_OPS):
            left, right = d.left, d.comparisons[0].comparator
            a, b = _ngram.value_names(left) & lossy, _ngram.value_names(right) & lossy
            if a and b and a != b:
                return True
    return False


def _argmax_vs_target(facts, fn, node: cst.CSTNode) -> bool:
    targets = _ngram.target_derived(facts, fn)
    for d in _ngram._descendants(node):
        if isinstance(d, cst.Comparison) and len(d.comparisons) == 1 and isinstance(d.comparisons[0].operator, (cst.Equal, cst.NotEqual)):
            sides = (d.left, d.comparisons[0].comparator)
            for a, b in (sides, sides[::-1]):
                if _ngram._has_call(a, {"argmax"}) and _ngram.names_read(b) & targets:
                    return True
    return False


PASS_SELECT = {"min", "max", "argmin", "argmax", "sorted", "amin", "amax", "nanmin"}


def _val_passes(facts, fn) -> list:
    """Calls in ``fn`` of a scorer handed validation data: one evaluation pass each."""
    val = facts.val_tainted(fn)
    out = []
    for c in fn.calls:
        if not (set().union(*c.arg_reads, *(k[1] for k in c.kw_reads)) & val):
            continue
        targets = facts.resolve_call(fn, c)[:1]
        # an evaluation pass scores; a training step (it backpropagates) is not one
        if any(_ngram.is_scorer(facts, g) and not any(k.name == "backward" for k in g.calls) for g in targets):
            out.append(c)
    return out


_KEEPS_MODEL = {"save", "load_state_dict", "deepcopy", "copy_", "state_dict"}


def _inside_passes(report, passes) -> bool:
    """The report sits in a loop that also runs the passes (a progress line, not the final result)."""
    return any(set(report.ctx.loops) & set(p.ctx.loops) for p in passes)


def _describe(facts, calls) -> str:
    distinct = {id(c.node): c for c in calls}
    if len(distinct) >= 2:
        return f"{len(distinct)}"
    (c,) = distinct.values()
    return f"repeated `{facts.code(c.node.func)}` (in a loop)"


class OracleSelection(Rule):
    id = "GC103"
    name = "oracle-token-selection"
    severity = Severity.ERROR
    summary = ("The scored loss keeps, per token, whichever predictor gave the realised token the lower loss; or the "
               "reported score (or the shipped model) is chosen among evaluation passes by their validation score.")
    rationale = (
        "Choosing between predictors, mixing weights or passes after seeing which one gave the target "
        "the lower loss makes p_t depend on x_t (Issue #1017, C1) and selects among passes (C4). PR #659's "
        "5-gram cache with an 'oracle safety gate' was ruled illegal by the organisers (as PR #779 reports)."
    )
    looks_for = (
        "On the evaluation path: min/max (torch.minimum, np.minimum, min(...)) over two per-token losses of "
        "the realised target; `if new_nll < old_nll:` that rewrites the scored loss; where(nll_a < nll_b, ...); "
        "gates built from `argmax == target`; each only when the result reaches the scored loss. Across passes: "
        "min/max/sorted over the results of several validation evaluations (raw, EMA, SWA, checkpoints) that is "
        "reported, or an `if` comparing them that picks the model, the checkpoint or the reported score."
    )
    traps = (
        "Entropy- or max-prob-based gates (alpha = f(H)) read no target: legal.",
        "Clamping in quantisation (torch.minimum(t32, clip)) is not a per-token NLL.",
        "max(a, b) + log1p(exp(-|a - b|)) is a log-sum-exp mixture, not a selection.",
        "Running sums of past losses (Hedge weights over already-scored tokens) are not the current token's loss.",
    )
    rulings = (
        Ruling("Organisers on PR #659 (as reported in PR #779's description)",
               "https://github.com/openai/parameter-golf/pull/659",
               "5-gram cache with an oracle safety gate ruled illegal"),
        Ruling("Issue #1017, conditions C1/C4", "https://github.com/openai/parameter-golf/issues/1017",
               "no dependence on x_t; no selecting among runs or passes"),
    )

    def check(self, ctx):
        for facts in ctx.facts:
            for fn in _ngram.eval_functions(facts):
                yield from self._selections(ctx, facts, fn, _ngram.realised_losses(facts, fn))
            for fn in facts.iter_functions():
                yield from self._pass_selection(ctx, facts, fn)

    def _pass_selection(self, ctx, facts, fn):
        """A reported score, or the model that produces it, chosen by comparing validation scores of
        several evaluation passes (raw / EMA / SWA, several checkpoints, a min over passes)."""
        passes = _val_passes(facts, fn)
        if not passes:
            return
        fl = _ngram.flow(facts, fn)
        # a score is the pass's result, or a plain copy of it (best = ema_bpb), not any value computed from it
        copies = lambda e: not isinstance(getattr(e.node, "value", None), (cst.Name, cst.Attribute, cst.Subscript))
        flows = [(c, fl.forward(_ngram.statement_targets(facts, fn, c.node), skip=copies)) for c in passes]

        def sources(node) -> list:
            reads = _ngram.value_names(node) | _ngram.names_read(node)
            inner = {id(d) for d in _ngram._descendants(node)}
            return [c for c, derived in flows if reads & derived or id(c.node) in inner]

        def several(srcs) -> bool:
            return len({id(c.node) for c in srcs}) >= 2 or any(c.ctx.loops for c in srcs)

        for c in fn.calls:
            args = [a.value for a in c.node.args if a.keyword is None]
            if c.name not in PASS_SELECT or not args:
                continue
            srcs = [x for a in args for x in sources(a)]
            if not srcs or not several(srcs):
                continue
            held = fl.forward(_ngram.statement_targets(facts, fn, c.node))
            label, _, by = _ngram.reported(facts, fn, held, c.node)
            if label is None or (by is not None and _inside_passes(by, srcs)):
                continue  # a best-so-far printed beside each periodic evaluation is progress, not the result
            yield ctx.finding(self, facts, c.node, (
                f"`{facts.code(c.node)[:80]}` reports the best of {_describe(facts, srcs)} validation scores "
                f"({label}): selecting among evaluation passes by their score on the scored tokens is an "
                f"oracle choice (Issue #1017 C4)"))
        for node, start, body_end, _else_start, end in fn.ifs:
            for comp in _ngram._descendants(node.test):
                if not (isinstance(comp, cst.Comparison) and len(comp.comparisons) == 1
                        and isinstance(comp.comparisons[0].operator, ORDER_OPS)):
                    continue
                left, right = sources(comp.left), sources(comp.comparisons[0].comparator)
                srcs = left + right
                # both sides are passes, or one pass repeated in a loop against a best-so-far
                if not srcs or not several(srcs) or not ((left and right) or any(c.ctx.loops for c in srcs)):
                    continue
                written = {t for e in fl.edges if start < e.line <= end for t in e.targets}
                chosen = {t for t in written if not any(t in d for _, d in flows)}
                saved = [k for k in fn.calls if start < k.line <= end and k.name in _KEEPS_MODEL]
                label, _, by = _ngram.reported(facts, fn, fl.forward(written))
                if label is not None and by is not None and _inside_passes(by, srcs):
                    label = None
                if not (chosen or saved or label):
                    continue
                what = (f"`{sorted(chosen)[0]}`" if chosen else
                        f"which weights are kept (`{facts.code(saved[0].node)[:60]}`)" if saved else "the reported score")
                yield ctx.finding(self, facts, node.test, (
                    f"`if {facts.code(node.test)}:` chooses {what} by comparing validation scores of "
                    f"{_describe(facts, srcs)} evaluation passes: the submission is selected on the tokens "
                    f"it is scored on (Issue #1017 C4: no selecting among runs or passes)"))
                break

    def _selections(self, ctx, facts, fn, lossy):
        fl = _ngram.flow(facts, fn)
        for c in fn.calls:
            args = [a.value for a in c.node.args if a.keyword is None]
            if c.name in SELECT_CALLS and len(args) >= 2 and _loss_operands(args[:2], lossy) == 2:
                if not _ngram.is_logaddexp(facts, fn, c.node):
                    held = _ngram.statement_targets(facts, fn, c.node)
                    if _ngram.reaches_loss(facts, fn, held):
                        yield ctx.finding(self, facts, c.node,
                                          f"`{facts.code(c.node)[:80]}` keeps the lower of two per-token losses of the realised token",
                                          evidence=facts.code(c.node)[:200])
            elif c.name == "where" and args and _compares_losses(args[0], lossy):
                if _ngram.reaches_loss(facts, fn, _ngram.statement_targets(facts, fn, c.node)):
                    yield ctx.finding(self, facts, c.node,
                                      f"`{facts.code(args[0])}` picks a predictor per token by comparing the realised token's losses")
        for node, start, body_end, _else_start, _end in fn.ifs:
            if not _compares_losses(node.test, lossy):
                continue
            written = {t for e in fl.edges if start < e.line <= body_end for t in e.targets}
            if written and not _ngram.is_stabiliser(facts, fn, written) and _ngram.reaches_loss(facts, fn, written):
                yield ctx.finding(self, facts, node.test,
                                  f"`if {facts.code(node.test)}:` rewrites the scored loss only when the other predictor "
                                  f"did better on the realised token (oracle gate)")
        for e in fl.edges:
            value = getattr(e.node, "value", None)
            if value is not None and _argmax_vs_target(facts, fn, value) and _ngram.reaches_loss(facts, fn, e.targets):
                yield ctx.finding(self, facts, e.line,
                                  "a gate built from `argmax == target` (whether the model was right) reaches the scored loss")

    VALID = (
        Example(
            """
            import torch
            import torch.nn.functional as F
            def eval_val(logits, y, q):
                loss_sum = 0.0
                lp = F.log_softmax(logits, -1)
                ent = -(lp.exp() * lp).sum(-1)
                alpha = 0.05 + 0.55 * torch.sigmoid(2 * (ent - 4.0))
                p = (1 - alpha[:, None]) * lp.exp() + alpha[:, None] * q
                nll = -torch.log(p.gather(-1, y[:, None]))
                loss_sum += nll.sum()
                return loss_sum
            """,
            trap="entropy-adaptive gate reads no target",
        ),
        Example(
            """
            import torch
            def quantize(w, clip):
                t32 = w.float()
                return torch.minimum(t32, clip).round()
            def eval_val(model, val_tokens):
                loss_sum = 0.0
                x, y = val_tokens[:-1], val_tokens[1:]
                nll = model.nll(x, y)
                loss_sum += torch.minimum(nll, torch.tensor(30.0)).sum()
                return loss_sum
            """,
            trap="clamping is not a selection between two predictors",
        ),
        Example(
            """
            import math
            def eval_mix(nn_lp, ngram_lp, y, lam):
                loss_sum = 0.0
                for t in range(len(y)):
                    a = math.log(lam) + nn_lp[t]
                    b = math.log(1 - lam) + ngram_lp[t]
                    mixed_lp = max(a, b) + math.log1p(math.exp(-abs(a - b)))
                    loss_sum += -mixed_lp
                return loss_sum
            """,
            trap="log-sum-exp mixture uses max as a stabiliser",
        ),
        Example(
            """
            import math
            import torch
            import torch.nn.functional as F
            def eval_val(model, val_tokens):
                loss_sum = torch.zeros((), dtype=torch.float64)
                tok = torch.zeros((), dtype=torch.float64)
                with torch.inference_mode():
                    for s in range(0, val_tokens.numel() - 1024, 1024):
                        piece = val_tokens[s:s + 1025]
                        loss_sum += F.cross_entropy(model(piece[:-1]), piece[1:], reduction="sum").double()
                        tok += 1024
                return (loss_sum / tok).item()
            def main(model, ema_model, val_tokens, train_loss, ema_train_loss):
                chosen = ema_model if ema_train_loss < train_loss else model
                print(f"diagnostic raw val_loss:{eval_val(model, val_tokens):.6f}")
                final = eval_val(chosen, val_tokens)
                print(f"final val_loss:{final:.6f} val_bpb:{final / math.log(2):.8f}")
            """,
            trap='EMA or raw weights chosen by the training loss; a diagnostic raw evaluation logged beside the final one',
        ),
        Example(
            """
            import math
            import torch
            import torch.nn.functional as F
            def eval_val(model, val_tokens):
                loss_sum = torch.zeros((), dtype=torch.float64)
                tok = torch.zeros((), dtype=torch.float64)
                with torch.inference_mode():
                    for s in range(0, val_tokens.numel() - 1024, 1024):
                        piece = val_tokens[s:s + 1025]
                        loss_sum += F.cross_entropy(model(piece[:-1]), piece[1:], reduction="sum").double()
                        tok += 1024
                return (loss_sum / tok).item()
            def train(model, opt, batches, val_tokens, steps):
                best = float("inf")
                for step in range(steps):
                    model(*batches.next()).backward()
                    opt.step()
                    if step % 500 == 0:
                        v = eval_val(model, val_tokens)
                        best = min(best, v)
                        print(f"step:{step} val_loss:{v:.4f} best_val_loss:{best:.4f}")
                final = eval_val(model, val_tokens)
                print(f"final val_loss:{final:.6f}")
            """,
            trap='a best-so-far printed beside periodic validation is progress, not the reported result',
        ),
    )
    INVALID = (
        Example(
            """
            import math
            import torch.nn.functional as F
            def eval_val_ngram(logits, y_batch, ngram, contexts, lam):
                loss_sum = 0.0
                nll = F.cross_entropy(logits, y_batch, reduction="none")
                scored_nll = nll.clone()
                for t, ctx in enumerate(contexts):
                    new_nll = -(math.log(lam) + ngram.logprob(ctx, y_batch[t]))
                    old_nll = scored_nll[t].item()
                    if new_nll < old_nll:
                        scored_nll[t] = new_nll
                loss_sum += scored_nll.sum()
                return loss_sum
            """,
            trap="PR #659 shape: keep the n-gram NLL when it beats the model's",
            lines=(10,),
        ),
        Example(
            """
            import torch
            import torch.nn.functional as F
            def eval_val(logits, y, ngram_logp):
                loss_sum = 0.0
                nll_model = F.cross_entropy(logits, y, reduction="none")
                nll_ngram = -ngram_logp.gather(-1, y[:, None])[:, 0]
                loss_sum += torch.minimum(nll_model, nll_ngram).sum()
                return loss_sum
            """,
            trap="torch.minimum over two per-token NLLs",
            lines=(7,),
        ),
        Example(
            """
            import torch
            import torch.nn.functional as F
            def eval_val(logits, y, q):
                loss_sum = 0.0
                right = (logits.argmax(-1) == y).float()
                p = (1 - 0.5 * right) * torch.softmax(logits, -1).gather(-1, y[:, None])[:, 0] + 0.5 * right * q
                loss_sum += -torch.log(p).sum()
                return loss_sum
            """,
            trap="gate built from argmax == target",
            lines=(5,),
        ),
        Example(
            """
            import math
            import torch
            import torch.nn.functional as F
            def eval_val(model, val_tokens):
                loss_sum = torch.zeros((), dtype=torch.float64)
                tok = torch.zeros((), dtype=torch.float64)
                with torch.inference_mode():
                    for s in range(0, val_tokens.numel() - 1024, 1024):
                        piece = val_tokens[s:s + 1025]
                        loss_sum += F.cross_entropy(model(piece[:-1]), piece[1:], reduction="sum").double()
                        tok += 1024
                return (loss_sum / tok).item()
            def main(model, ema_model, swa_model, val_tokens):
                raw = eval_val(model, val_tokens)
                ema = eval_val(ema_model, val_tokens)
                swa = eval_val(swa_model, val_tokens)
                best = min(raw, ema, swa)
                print(f"final val_loss:{best:.6f} val_bpb:{best / math.log(2):.8f}")
            """,
            trap='the reported score is the minimum over three evaluation passes (raw, EMA, SWA)', lines=(17,),
        ),
        Example(
            """
            import math
            import torch
            import torch.nn.functional as F
            def eval_val(model, val_tokens):
                loss_sum = torch.zeros((), dtype=torch.float64)
                tok = torch.zeros((), dtype=torch.float64)
                with torch.inference_mode():
                    for s in range(0, val_tokens.numel() - 1024, 1024):
                        piece = val_tokens[s:s + 1025]
                        loss_sum += F.cross_entropy(model(piece[:-1]), piece[1:], reduction="sum").double()
                        tok += 1024
                return (loss_sum / tok).item()
            def main(model, ema_model, val_tokens):
                if eval_val(ema_model, val_tokens) < eval_val(model, val_tokens):
                    chosen = ema_model
                else:
                    chosen = model
                torch.save(chosen.state_dict(), "final_model.pt")
            """,
            trap='the shipped weights (EMA or raw) are chosen by their validation loss', lines=(14,),
        ),
    )
