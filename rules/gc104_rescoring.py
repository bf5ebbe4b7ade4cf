"""GC104 — two-pass or full rescoring: tokens scored again after the state has seen them."""

import re



from golfcheck import flow
from golfcheck.findings import Severity
from golfcheck.source import dotted_name
from golfcheck.rule import Example, Rule, Ruling
from golfcheck.runconfig import truthy

from . import _adaptation, _ngram

RESCORE_SETTING = re.compile(r"two_?pass|rescore", re.I)


def _exclusive(a, b) -> bool:
    """Two call sites in the body and the else branch of the same ``if``."""
    ga = {(g.line, g.negated) for g in a.ctx.guards}
    return any((line, not neg) in ga for line, neg in ((g.line, g.negated) for g in b.ctx.guards))


def _results(facts, fn, call) -> set[str]:
    e = _ngram.flow(facts, fn).assignment_of(call.node)
    return set(e.targets) if e is not None else set()


def _adapting_calls(facts, fn):
    """(call, adapting function) for calls in ``fn`` that run score-first TTT on validation data:
    calls of the function holding the step, or of a helper the step was lifted through."""
    out = []
    for a in _adaptation.adaptations(facts):
        if a.order is not _adaptation.Order.SCORE_FIRST or a.warmup:
            continue
        nodes = {id(site.node) for site in a.chain[1:] if site.function is fn}
        nodes |= {id(c.node) for g, c in facts.callers.get(a.function.qualname, []) if g is fn}
        for c in fn.calls:
            if id(c.node) in nodes and all(c is not o for o, _ in out):
                out.append((c, a.function))
    return out


_MODEL_METHODS = {"parameters", "named_parameters", "train", "eval", "state_dict", "load_state_dict", "zero_grad"}


def _trained_args(facts, call, adapted) -> set[str]:
    """The caller's names handed to the parameters of ``adapted`` that hold the model it trains: the
    receivers of ``.parameters()`` / ``.train()`` there, or a parameter it calls (``model(x, y)``)."""
    models = set()
    for c in adapted.calls:
        if c.name in _MODEL_METHODS and c.func and "." in c.func:
            models.add(c.func.rsplit(".", 1)[0].split(".")[0])
        elif c.func and "." not in c.func:
            models.add(c.func)
    ps = [p for p in adapted.params if p not in ("self", "cls")]
    out = set()
    for i, a in enumerate(x for x in call.node.args if x.keyword is None):
        n = dotted_name(a.value)
        if i < len(ps) and ps[i] in models and n and "." not in n:
            out.add(n)
    for a in call.node.args:
        if a.keyword is not None and a.keyword.value in models:
            n = dotted_name(a.value)
            if n and "." not in n:
                out.add(n)
    return out


def _model_args(call) -> set[str]:
    """Plain names handed to a call (the model is one of them)."""
    names = set()
    for a in call.node.args:
        n = dotted_name(a.value)
        if n and "." not in n:
            names.add(n)
    return names


def _restored(facts, fn, adapted, models, c1, c2) -> bool:
    """The adapted weights are put back before the second evaluation (``load_state_dict(orig)``)."""
    for c in adapted.calls:
        if c.name in ("load_state_dict", "restore", "copy_") and c.line > min((s.line for s in adapted.calls
                                                                               if s.name == "step"), default=0):
            return True
    for c in fn.calls:
        if c1.line < c.line < c2.line and c.name in ("load_state_dict", "restore", "deserialize") and (
                c.reads & models or any(t in models for t in _ngram.statement_targets(facts, fn, c.node))):
            return True
    return False


class Rescoring(Rule):
    id = "GC104"
    name = "rescoring-pass"
    severity = Severity.ERROR
    summary = "Tokens are scored a second time (after the cache or model has seen them) and the re-scored loss is reported."
    rationale = (
        "Each validation token gets exactly one BPB term, computed at its single left-to-right visit "
        "(Issue #1017, C4). Re-scoring early chunks once the cache is warm, or rescoring every token "
        "against a cache built from all of val, reports losses that depend on the tokens themselves. "
        "PRs #846, #869 and #870 were closed for it."
    )
    looks_for = (
        "In one function: a scoring call whose per-chunk results are later replaced by a second scoring "
        "call over the same chunks (`chunk_losses[ci] = ...` in two passes, `total - old + new`); or a "
        "scoring call that consumes the first pass's stored per-token outputs together with state built from "
        "validation data, whose result is returned. Config tells (NGRAM_TWOPASS*, *RESCORE*) enabled in the "
        "run configuration without a located pass are a warning."
    )
    traps = (
        "Sliding-window eval: overlapping context is not rescoring; each token is scored once.",
        "Diagnostic evals that are logged but not reported (pre-quant, post-EMA) are fine: only results "
        "that reach the returned/reported value count.",
        "Two scoring calls in the body and the else branch of the same if are alternatives, not passes.",
    )
    rulings = (
        Ruling("Issue #1017, condition C4", "https://github.com/openai/parameter-golf/issues/1017",
               "each validation token is scored exactly once; no rescoring, no second pass"),
        Ruling("PR #846 (closed)", "https://github.com/openai/parameter-golf/pull/846", "two-pass n-gram rescoring"),
        Ruling("PR #869 (closed)", "https://github.com/openai/parameter-golf/pull/869", "NGRAM_TWOPASS_CHUNKS=63"),
        Ruling("PR #870 (closed)", "https://github.com/openai/parameter-golf/pull/870", "full rescore against a complete cache"),
    )

    def check(self, ctx):
        found = False
        for facts in ctx.facts:
            for fn in facts.iter_functions():
                for f in self._passes(ctx, facts, fn):
                    found = True
                    yield f
                for f in self._after_adaptation(ctx, facts, fn):
                    found = True
                    yield f
        if not found:
            yield from self._config_tells(ctx)

    def _passes(self, ctx, facts, fn):
        fl = _ngram.flow(facts, fn)
        scored = [(c, g) for c in fn.calls for g in facts.resolve_call(fn, c)[:1] if _ngram.is_scorer(facts, g)]
        returned = _ngram._return_reads(fn, None)
        reported = lambda names: bool(fl.forward(names) & returned) or _ngram.reaches_loss(facts, fn, names) is not None
        for i, (c1, g1) in enumerate(scored):
            r1 = _results(facts, fn, c1)
            for c2, g2 in scored[i + 1:]:
                if c2.line <= c1.line or _exclusive(c1, c2) or (c1.ctx.loops and set(c1.ctx.loops) & set(c2.ctx.loops)):
                    continue
                r2 = _results(facts, fn, c2)
                if not r1 or not r2:
                    continue
                d1 = fl.forward(r1, skip=lambda e: e.line > c2.line)
                d2 = fl.forward(r2, skip=lambda e: e.line < c2.line)
                # (a) pass-2 values overwrite or are swapped into what pass 1 filled
                filled = {t for e in fl.edges if c1.line <= e.line < c2.line and e.reads & d1 for t in e.targets}
                for e in fl.edges:
                    if e.line > c2.line and e.reads & d2 and set(e.targets) & filled and (e.subscript_store or set(e.targets) & e.reads):
                        if reported(set(e.targets)):
                            yield ctx.finding(self, facts, c2.node,
                                              f"second scoring pass `{facts.code(c2.node.func)}` over tokens already scored at line "
                                              f"{c1.line}; line {e.line} replaces their first-pass loss in the reported result")
                            return
                # (b) pass 2 rescores pass 1's stored per-token outputs against state built from val
                args = frozenset().union(*c2.arg_reads, *(k[1] for k in c2.kw_reads))
                val = facts.val_tainted(fn)
                if facts.on_eval_path(fn) and args & d1 and args & val - d1 and reported(r2):
                    yield ctx.finding(self, facts, c2.node,
                                      f"`{facts.code(c2.node.func)}` rescores the per-token outputs of the pass at line {c1.line} "
                                      f"with state built from validation data, and its loss is the one returned")
                    return

    def _after_adaptation(self, ctx, facts, fn):
        """A full evaluation of the adapted model after score-first TTT, whose result is reported."""
        sites = _adapting_calls(facts, fn)
        if not sites:
            return
        scorers = [(c, g) for c in fn.calls for g in facts.resolve_call(fn, c)[:1] if _ngram.is_scorer(facts, g)]
        for c1, adapted in sites:
            model_names = _trained_args(facts, c1, adapted)
            if not model_names:
                continue
            for c2, g2 in scorers:
                if (c2.line, c2.col) <= (c1.line, c1.col) or _exclusive(c1, c2) or c2.node is c1.node:
                    continue
                if set(c1.ctx.loops) & set(c2.ctx.loops):
                    continue
                shared = {n for n in _model_args(c2) & model_names
                          if flow.definition(facts, fn, n, (c2.line, c2.col)) is flow.definition(facts, fn, n, (c1.line, c1.col))}
                if not shared or not (set().union(*c2.arg_reads, *(k[1] for k in c2.kw_reads)) & facts.val_tainted(fn)):
                    continue
                if _restored(facts, fn, adapted, shared, c1, c2):
                    continue
                label, last = _ngram.report_of(facts, fn, c2)
                if label is None:
                    continue
                model = sorted(shared)[0]
                msg = (f"`{facts.code(c2.node.func)}` evaluates `{model}` again after `{adapted.name}` trained it on the "
                       f"validation tokens it had scored (line {c1.line}); this re-scored result is reported ({label}), "
                       f"not the first-pass score (Issue #1017 C4: each token is scored once, before any update that "
                       f"has seen it)")
                if last:
                    yield ctx.finding(self, facts, c2.node, msg)
                else:
                    yield ctx.finding(self, facts, c2.node, msg + "; a later line also reports a score: a reviewer "
                                      "must check which one the submission claims", severity=Severity.WARNING)
                return

    def _config_tells(self, ctx):
        for key, s in ctx.config.settings.items():
            if not RESCORE_SETTING.search(key) or not truthy(s.value):
                continue
            facts = next((f for f in ctx.facts if f.path == s.path), None)
            if facts is None or not s.line:
                continue
            yield ctx.finding(self, facts, s.line,
                              f"`{s.env or key}` = {s.value!r} enables a rescoring/two-pass mode; golfcheck could not "
                              f"locate the second pass statically, so a reviewer must check which loss is reported",
                              severity=Severity.WARNING)

    VALID = (
        Example(
            """
            import torch
            def eval_val_sliding(model, val_tokens, seq_len, stride):
                loss_sum = 0.0
                for ws in range(0, len(val_tokens) - seq_len, stride):
                    chunk = val_tokens[ws:ws + seq_len + 1]
                    nll = model.nll(chunk[:-1], chunk[1:])
                    s = 0 if ws == 0 else seq_len - stride
                    loss_sum += nll[s:].sum()
                return loss_sum
            def main(model, val_tokens):
                pre = eval_val_sliding(model, val_tokens, 1024, 64)
                print(f"diagnostic pre-quant val_loss:{pre}")
                final = eval_val_sliding(model, val_tokens, 1024, 64)
                print(f"final val_loss:{final}")
            """,
            trap="sliding-window overlap and a logged diagnostic eval are not rescoring",
        ),
        Example(
            """
            import math
            import torch
            import torch.nn.functional as F
            def eval_ttt(model, val_tokens, opt, chunk):
                loss_sum = torch.zeros((), dtype=torch.float64)
                tok = torch.zeros((), dtype=torch.float64)
                for ci in range(val_tokens.numel() // chunk):
                    piece = val_tokens[ci * chunk:(ci + 1) * chunk + 1]
                    with torch.inference_mode():
                        loss_sum += F.cross_entropy(model(piece[:-1]), piece[1:], reduction="sum").double()
                        tok += chunk
                    F.cross_entropy(model(piece[:-1]), piece[1:]).backward()
                    opt.step()
                return (loss_sum / tok).item()
            def eval_full(model, val_tokens, temperature):
                loss_sum = torch.zeros((), dtype=torch.float64)
                tok = torch.zeros((), dtype=torch.float64)
                with torch.inference_mode():
                    for s in range(0, val_tokens.numel() - 1024, 1024):
                        piece = val_tokens[s:s + 1025]
                        loss_sum += F.cross_entropy(model(piece[:-1]) / temperature, piece[1:], reduction="sum").double()
                        tok += 1024
                return (loss_sum / tok).item()
            def main(model, val_tokens, opt):
                pre = eval_full(model, val_tokens, 1.0)
                print(f"diagnostic pre-ttt val_loss:{pre:.6f}")
                first = eval_ttt(model, val_tokens, opt, 32768)
                print(f"final_ttt val_loss:{first:.6f} val_bpb:{first / math.log(2):.8f}")
            """,
            trap="a full evaluation before score-first TTT, and the TTT's first-pass score reported",
        ),
        Example(
            """
            import os
            TWOPASS = int(os.environ.get("NGRAM_TWOPASS", "0"))
            import numpy as np
            def score_chunk(model, cache, val_tokens, ci):
                cl = 0.0
                p = model.prob(val_tokens, ci, cache)
                cl += float((-np.log(p)).sum())
                return cl
            def eval_ngram(model, cache, val_tokens, n_chunks, twopass_chunks):
                chunk_losses = [None] * n_chunks
                for ci in range(n_chunks):
                    cl = score_chunk(model, cache, val_tokens, ci)
                    chunk_losses[ci] = cl
                    cache.update(val_tokens, ci)
                if TWOPASS:
                  for ci in range(twopass_chunks):
                    cl = score_chunk(model, cache, val_tokens, ci)
                    chunk_losses[ci] = cl
                return sum(chunk_losses)
            """,
            files={'train_seed1.log': 'Hyperparameters:\n  seed: 1\n  ngram_twopass: 0\nstep:10/10 val_loss:2.0 val_bpb:1.2\nfinal_ngram val_loss:1.9 val_bpb:1.1\n'}, trap='the two-pass switch defaults off in code and the log shows it off',
        ),
        Example(
            """
            import numpy as np


            def score_chunk(model, cache, val_tokens, ci):
                cl = 0.0
                p = model.prob(val_tokens, ci, cache)
                cl += float((-np.log(p)).sum())
                return cl


            def eval_two(model, cache, val_tokens, n):
                loss_sum = 0.0
                first = []
                for ci in range(n):
                    cl = score_chunk(model, cache, val_tokens, ci)
                    first.append(cl)
                    loss_sum += cl
                    cache.update(val_tokens, ci)
                for ci in range(n // 4):
                    cl2 = score_chunk(model, cache, val_tokens, ci)
                    print(f"chunk {ci} warm-cache gain {first[ci] - cl2:.4f}")
                return loss_sum
            """,
            trap='a second pass whose difference to the first pass is only logged as a diagnostic',
        ),
    )
    INVALID = (
        Example(
            """
            import numpy as np
            def score_chunk(model, cache, val_tokens, ci):
                cl = 0.0
                p = model.prob(val_tokens, ci, cache)
                cl += float((-np.log(p)).sum())
                return cl
            def eval_ngram(model, cache, val_tokens, n_chunks, twopass_chunks):
                chunk_losses = [None] * n_chunks
                for ci in range(n_chunks):
                    cl = score_chunk(model, cache, val_tokens, ci)
                    chunk_losses[ci] = cl
                    cache.update(val_tokens, ci)
                for ci in range(twopass_chunks):
                    cl = score_chunk(model, cache, val_tokens, ci)
                    chunk_losses[ci] = cl
                return sum(chunk_losses)
            """,
            trap="PR #869 shape: pass 2 re-scores early chunks with the warm cache and replaces their losses",
            lines=(14,),
        ),
        Example(
            """
            import numpy as np
            def score_store(model, val_tokens):
                loss_sum = 0.0
                model_p = model.target_probs(val_tokens)
                loss_sum += float(-np.log(model_p).sum())
                return model_p, loss_sum
            def rescore(cache, model_p, tokens_np):
                p = 0.5 * model_p + 0.5 * cache.prob(tokens_np)
                nll = -np.log(p)
                return nll.mean()
            def eval_two_pass(model, val_tokens, cache):
                model_p, pass1_loss = score_store(model, val_tokens)
                tokens_np = val_tokens.numpy()
                cache.build_full(tokens_np)
                val_loss = rescore(cache, model_p, tokens_np)
                return val_loss
            """,
            trap="PR #870 shape: full cache from all of val, then every stored prediction rescored",
            lines=(15,),
        ),
        Example(
            """
            import math
            import torch
            import torch.nn.functional as F
            def eval_ttt(model, val_tokens, opt, chunk):
                loss_sum = torch.zeros((), dtype=torch.float64)
                tok = torch.zeros((), dtype=torch.float64)
                for ci in range(val_tokens.numel() // chunk):
                    piece = val_tokens[ci * chunk:(ci + 1) * chunk + 1]
                    with torch.inference_mode():
                        loss_sum += F.cross_entropy(model(piece[:-1]), piece[1:], reduction="sum").double()
                        tok += chunk
                    F.cross_entropy(model(piece[:-1]), piece[1:]).backward()
                    opt.step()
                return (loss_sum / tok).item()
            def eval_full(model, val_tokens, temperature):
                loss_sum = torch.zeros((), dtype=torch.float64)
                tok = torch.zeros((), dtype=torch.float64)
                with torch.inference_mode():
                    for s in range(0, val_tokens.numel() - 1024, 1024):
                        piece = val_tokens[s:s + 1025]
                        loss_sum += F.cross_entropy(model(piece[:-1]) / temperature, piece[1:], reduction="sum").double()
                        tok += 1024
                return (loss_sum / tok).item()
            def main(model, val_tokens, opt):
                first = eval_ttt(model, val_tokens, opt, 32768)
                print(f"ttt first pass val_loss:{first:.6f}")
                final = eval_full(model, val_tokens, 0.95)
                print(f"final_ttt_rescored val_loss:{final:.6f} val_bpb:{final / math.log(2):.8f}")
            """,
            trap="after score-first TTT the adapted model re-scores all of val (at a post-hoc temperature) and "
                 "that number is the one logged as the result",
            lines=(27,),
        ),
        Example(
            """
            import os
            NGRAM_TWOPASS = int(os.environ.get("NGRAM_TWOPASS", "1"))
            """,
            trap="config tell with no located pass",
            severity=Severity.WARNING,
        ),
        Example(
            """
            import os
            TWOPASS = int(os.environ.get("NGRAM_TWOPASS", "0"))
            import numpy as np
            def score_chunk(model, cache, val_tokens, ci):
                cl = 0.0
                p = model.prob(val_tokens, ci, cache)
                cl += float((-np.log(p)).sum())
                return cl
            def eval_ngram(model, cache, val_tokens, n_chunks, twopass_chunks):
                chunk_losses = [None] * n_chunks
                for ci in range(n_chunks):
                    cl = score_chunk(model, cache, val_tokens, ci)
                    chunk_losses[ci] = cl
                    cache.update(val_tokens, ci)
                if TWOPASS:
                  for ci in range(twopass_chunks):
                    cl = score_chunk(model, cache, val_tokens, ci)
                    chunk_losses[ci] = cl
                return sum(chunk_losses)
            """,
            files={'train_seed1.log': 'Hyperparameters:\n  seed: 1\n  ngram_twopass: 1\nstep:10/10 val_loss:2.0 val_bpb:1.2\nfinal_ngram val_loss:1.9 val_bpb:1.1\n'}, trap='the two-pass switch defaults off in code but the log shows the path ran', lines=(17,),
        ),
        Example(
            """
            import numpy as np


            def score_chunk(model, cache, val_tokens, ci):
                cl = 0.0
                p = model.prob(val_tokens, ci, cache)
                cl += float((-np.log(p)).sum())
                return cl


            def eval_two(model, cache, val_tokens, n):
                loss_sum = 0.0
                first = []
                for ci in range(n):
                    cl = score_chunk(model, cache, val_tokens, ci)
                    first.append(cl)
                    loss_sum += cl
                    cache.update(val_tokens, ci)
                for ci in range(n // 4):
                    cl2 = score_chunk(model, cache, val_tokens, ci)
                    loss_sum += cl2 - first[ci]
                return loss_sum
            """,
            trap='inline arithmetic swaps first-pass losses for re-scored ones in the reported total', lines=(20,),
        ),
    )
