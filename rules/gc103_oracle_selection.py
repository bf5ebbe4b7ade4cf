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


class OracleSelection(Rule):
    id = "GC103"
    name = "oracle-token-selection"
    severity = Severity.ERROR
    summary = "The scored loss keeps, per token, whichever predictor gave the realised token the lower loss."
    rationale = (
        "Choosing between predictors, mixing weights or passes after seeing which one gave the target "
        "the lower loss makes p_t depend on x_t (Issue #1017, C1) and selects among passes (C4). PR #659's "
        "5-gram cache with an 'oracle safety gate' was ruled illegal by the organisers (as PR #779 reports)."
    )
    looks_for = (
        "On the evaluation path: min/max (torch.minimum, np.minimum, min(...)) over two per-token losses of "
        "the realised target; `if new_nll < old_nll:` that rewrites the scored loss; where(nll_a < nll_b, ...); "
        "gates built from `argmax == target`; each only when the result reaches the scored loss."
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
    )
