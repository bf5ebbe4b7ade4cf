"""GC904 — recognised legal pattern: n-gram tables keyed only on the context."""

from golfcheck.findings import Severity
from golfcheck.rule import Example, Rule, Ruling

from . import _ngram


class ContextOnlyNgram(Rule):
    id = "GC904"
    name = "context-only-ngram-table"
    severity = Severity.NOTE
    summary = "LEGAL: eval-time n-gram tables whose keys hash only the prefix x_{t-k..t-1}."
    rationale = (
        "A table keyed on the context alone yields a full row over the vocabulary (or a lookup for every "
        "candidate that is then normalised), built only from already-scored tokens. The reviews of PR #392 "
        "and PR #978 treat it as legal; golfcheck prints it so reviewers see why a look-alike of GC101 passed."
    )
    looks_for = "A hashed-key table read on the evaluation path whose value reaches the scored loss, with no target-keyed read in the same function."
    traps = ("A function that also reads a target-keyed table is GC101, not this note.",)
    rulings = (
        Ruling("PR #978 (normalised n-gram rerun of #972)", "https://github.com/openai/parameter-golf/pull/978",
               "a lookup over every candidate, normalised over V"),
        Ruling("Issue #1017, conditions C1/C2", "https://github.com/openai/parameter-golf/issues/1017",
               "prefix-only, normalised distributions are allowed"),
    )

    def check(self, ctx):
        for facts in ctx.facts:
            fns = _ngram.eval_functions(facts)
            if any(_ngram.target_keyed_reads(facts, fn) for fn in fns):
                continue  # the same tables are also read with target keys: GC101, not a legal pattern
            for fn in fns:
                _, counts = _ngram.hashed_counts(facts, fn)
                if not counts:
                    continue
                sink = _ngram.reaches_loss(facts, fn, counts)
                if sink is None:
                    continue
                hashed, _ = _ngram.hashed_counts(facts, fn)
                reads = [s for s in fn.subscripts if s.index_reads & hashed or any(_ngram._has_hash_op(el) for el in s.node.slice)]
                line = min((s.line for s in reads), default=sink.line)
                yield ctx.finding(self, facts, line,
                                  f"context-only n-gram table in `{fn.name}`: keys hash the prefix only, and the scored "
                                  f"loss (line {sink.line}) reads no target-keyed count (recognised legal pattern)")

    VALID = (
        Example(
            """
            import torch.nn.functional as F
            def eval_val(model, x, y):
                loss_sum = 0.0
                loss_sum += F.cross_entropy(model(x), y, reduction="sum")
                return loss_sum
            """,
            trap="plain neural eval: no n-gram table",
        ),
    )
    INVALID = (
        Example(
            """
            import torch
            def eval_ngram(ctx_h, y, pair, V, M, B):
                loss_sum = 0.0
                cand = torch.arange(V)
                pair_h = (ctx_h[:, None] * M + cand[None, :]) % B
                counts = pair[pair_h].float()
                q = counts / counts.sum(1, keepdim=True)
                loss_sum += -torch.log(q.gather(1, y[:, None])).sum()
                return loss_sum
            """,
            trap="lookup for every candidate, normalised over V",
            lines=(6,),
        ),
    )
