"""GC107 — the scored probability is not from a distribution normalised over the token alphabet."""

import re

import libcst as cst

from golfcheck.findings import Severity
from golfcheck.rule import Example, Rule, Ruling

from . import _ngram

BYTE_COUNT = re.compile(r"(^|_)(n_?bytes|nbytes|num_bytes|byte_len|bytes_in_token|tok_nbytes|nb)$", re.I)


class UnnormalisedDistribution(Rule):
    id = "GC107"
    name = "unnormalised-distribution"
    severity = Severity.ERROR
    summary = "The scored -log comes from a per-target scalar that is not part of a distribution summing to 1 over the vocabulary."
    rationale = (
        "p_t must be a proper distribution over the official token alphabet, fixed before x_t is seen "
        "(Issue #1017, C2). A count at the gold token divided by a context count from another hashed "
        "table (PR #972; PR #978 shows the properly normalised rerun) does not sum to 1 over V, and a "
        "token log-prob divided by the token's byte count (PR #1835, #1854) is not a distribution over "
        "bytes. PR #1902 excluded 'PPM-D/byte-mixture C2' rows."
    )
    looks_for = (
        "On the evaluation path: a ratio whose numerator is a hashed n-gram count gathered at the realised "
        "target and whose denominator is another table's count rather than the sum over the same row; or a "
        "per-token log-prob divided by the token's byte count; each only when it reaches the scored loss."
    )
    traps = (
        "F.cross_entropy(logits, y) is normalised by construction.",
        "(1-a)*softmax + a*q with q a full-V normalised vector and a independent of y is legal.",
        "Closed-form tilt p*e^(b*1[t=h])/Z with Z = 1 + p_h(e^b - 1) is legal (GC905).",
        "The metric's own total: sum of nats / ln 2 / total bytes divides running sums, not a token's log-prob.",
        "Target-keyed hashed lookups are reported by GC101 (which names C2 too), not again here.",
    )
    rulings = (
        Ruling("Issue #1017, condition C2", "https://github.com/openai/parameter-golf/issues/1017",
               "a full normalised distribution over the official token alphabet"),
        Ruling("PR #978 (rerun of PR #972)", "https://github.com/openai/parameter-golf/pull/978",
               "normalising over all candidates changes the n-gram path's score"),
        Ruling("cocohearts, PR #1902 leaderboard exclusions", "https://github.com/openai/parameter-golf/pull/1902",
               "PPM-D/byte-mixture C2 rows excluded"),
    )

    def check(self, ctx):
        for facts in ctx.facts:
            for fn in _ngram.eval_functions(facts):
                yield from self._ratios(ctx, facts, fn)
                yield from self._per_byte(ctx, facts, fn)

    def _divisions(self, facts, fn):
        if fn.node is None:
            return
        for d in _ngram._descendants(fn.node.body):
            if isinstance(d, cst.BinaryOperation) and isinstance(d.operator, cst.Divide):
                yield d

    def _ratios(self, ctx, facts, fn):
        if _ngram.target_keyed_reads(facts, fn):
            return  # GC101's finding
        gold = _ngram.gold_counts(facts, fn)
        if not gold:
            return
        _, counts = _ngram.hashed_counts(facts, fn)
        sums = _ngram.row_sums(facts, fn)
        for d in self._divisions(facts, fn):
            num, den = _ngram.names_read(d.left), _ngram.names_read(d.right)
            if num & gold and den & counts and not den & sums and not den & gold:
                if _ngram.reaches_loss(facts, fn, _ngram.statement_targets(facts, fn, d)):
                    yield ctx.finding(self, facts, d,
                                      f"`{facts.code(d)[:90]}` divides the gold token's hashed count by another table's "
                                      f"count, not by the sum of its own row over the vocabulary: it does not sum to 1",
                                      evidence=facts.code(d)[:200])

    def _per_byte(self, ctx, facts, fn):
        lossy = _ngram.per_token_losses(facts, fn)
        fl = _ngram.flow(facts, fn)
        if not lossy:
            return
        for d in self._divisions(facts, fn):
            num, den = _ngram.names_read(d.left), _ngram.names_read(d.right)
            nbytes = {n for n in den if BYTE_COUNT.search(n.rsplit(".", 1)[-1]) and n not in fl.accumulated}
            if num & lossy and nbytes and _ngram.reaches_loss(facts, fn, _ngram.statement_targets(facts, fn, d)):
                yield ctx.finding(self, facts, d,
                                  f"`{facts.code(d)}` spreads a token's log-prob evenly over its bytes; that is not a "
                                  f"distribution over bytes, so a byte-level mixture built on it is not normalised (C2)",
                                  evidence=facts.code(d)[:200])

    VALID = (
        Example(
            """
            import torch
            def eval_ngram(ctx_h, y, pair, model_p, V, M, B, beta):
                loss_sum = 0.0
                cand = torch.arange(V)
                pair_h = (ctx_h[:, None] * M + cand[None, :]) % B
                pair_c = pair[pair_h].float()
                pair_total = pair_c.sum(dim=1)
                raw = pair_c.gather(1, y[:, None]).squeeze(1)
                p = (raw + beta * model_p) / (pair_total + beta)
                loss_sum -= torch.log(p).sum()
                return loss_sum
            """,
            trap="PR #978 shape: denominator is the sum over the candidate row",
        ),
        Example(
            """
            import torch
            def tilt_nll(nll, logits, target_ids, hints, betas):
                loss_sum = 0.0
                lse = torch.logsumexp(logits, -1)
                p_hint = (logits.gather(-1, hints[:, None])[:, 0] - lse).exp()
                Z = 1.0 + p_hint * (betas.exp() - 1.0)
                is_hit = (target_ids == hints).double()
                loss_sum += (nll + Z.log() - betas * is_hit).sum()
                return loss_sum
            """,
            trap="closed-form tilt with Z = 1 + p_h(e^b - 1) (GC905)",
        ),
        Example(
            """
            import math
            def eval_val(model, val_tokens, byte_lut):
                loss_sum, byte_count = 0.0, 0
                for t in range(1, len(val_tokens)):
                    nll = model.nll(val_tokens[:t], val_tokens[t])
                    loss_sum += nll
                    byte_count += byte_lut[val_tokens[t]]
                return loss_sum / math.log(2) / byte_count
            """,
            trap="the metric's total: running sums divided, not a token's log-prob",
        ),
    )
    INVALID = (
        Example(
            """
            import torch
            def eval_ngram(ctx_h, y, ctx_tab, pair, model_p, V, M, B, beta):
                loss_sum = 0.0
                cand = torch.arange(V)
                ctx_c = ctx_tab[ctx_h % B].float()
                pair_h = (ctx_h[:, None] * M + cand[None, :]) % B
                pair_c = pair[pair_h].float()
                raw = pair_c.gather(1, y[:, None]).squeeze(1)
                p = (raw + beta * model_p) / (ctx_c + beta)
                loss_sum -= torch.log(p).sum()
                return loss_sum
            """,
            trap="PR #972 shape: gold count over the context count of another table",
            lines=(9,),
        ),
        Example(
            """
            import math
            def ppm_mixture(nll_nats, token_bytes, ppm, lam):
                mix_nll = 0.0
                for i in range(len(nll_nats)):
                    tb = token_bytes[i]
                    n_bytes = len(tb)
                    per_byte_logp = -float(nll_nats[i]) / n_bytes
                    for b in tb:
                        a = math.log(lam) + per_byte_logp
                        c = math.log(1 - lam) + ppm.logp(b)
                        mix_nll -= max(a, c) + math.log1p(math.exp(-abs(a - c)))
                return mix_nll
            def eval_val(model, val_tokens, token_bytes, ppm):
                nll_nats = model.nll(val_tokens)
                return ppm_mixture(nll_nats, token_bytes, ppm, 0.9)
            """,
            trap="PR #1835 shape: token log-prob / n_bytes fed to a byte-level mixture",
            lines=(7,),
        ),
    )
