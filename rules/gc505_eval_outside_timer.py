"""GC505 — eval-specific work on validation data done before the eval timer starts (HOLD)."""

import re

from golfcheck.findings import Severity
from golfcheck.rule import Example, Rule, Ruling
from golfcheck.runconfig import truthy
from ._data_bytes import code_files, timer_starts

OUTSIDE_FLAG = re.compile(r"(precompute_outside|outside_timer|untimed|precompute_before_timer|out_of_timer)", re.I)
PRECOMPUTE = re.compile(r"precompute|prefill|hints?$|build_\w*(cache|table|hint|index)|warm\w*cache|prepare_\w*(hint|cache|table)", re.I)


class EvalOutsideTimer(Rule):
    id = "GC505"
    name = "eval-work-outside-timer"
    severity = Severity.WARNING
    summary = "Evaluation work on validation data (hint precompute, cache building) runs before the eval timer starts."
    rationale = (
        "The reported evaluation, including n-gram hint precompute, caches and mixers, must take at most 600 s. "
        "Work that depends on the validation tokens belongs inside the timer; NGRAM_HINT_PRECOMPUTE_OUTSIDE=0 "
        "('inside timer') became the convention after the merged A2 record (#2018, #2041, #2135)."
    )
    looks_for = (
        "*_PRECOMPUTE_OUTSIDE-style settings that are on in the run configuration; a precompute/prefill/cache "
        "call reading validation tokens, followed by a timer start and then the scored evaluation."
    )
    traps = (
        "Loading val tokens and building the byte LUTs before the timer is setup, not eval work.",
        "A precompute-outside switch that the run configuration leaves at 0 is the timed convention.",
        "Compile warmup on random tokens logged separately (#2014) is tolerated.",
    )
    rulings = (Ruling("PR #2018/#2041: NGRAM_HINT_PRECOMPUTE_OUTSIDE=0 keeps precompute inside the timer",
                      "https://github.com/openai/parameter-golf/pull/2018", ""),
               Ruling("README: evaluation must take at most 10 minutes", "https://github.com/openai/parameter-golf#faq", ""))

    def check(self, ctx):
        for facts in code_files(ctx):
            for s in ctx.config.settings.values():
                if s.path == facts.path and (OUTSIDE_FLAG.search(s.key) or (s.env and OUTSIDE_FLAG.search(s.env))) \
                        and truthy(s.value):
                    yield ctx.finding(self, facts, s.line or 1,
                                      f"{s.env or s.key} is on ({s.value!r}{', from ' + s.source if s.source else ''}): "
                                      "validation-dependent precompute runs outside the eval timer")
            for f in facts.iter_functions():
                if facts.on_eval_path(f):
                    continue  # the eval timer wraps the call of an eval function, precompute included
                tainted = facts.val_tainted(f)
                if not tainted:
                    continue
                timers = timer_starts(f)
                for c in f.calls:
                    if not PRECOMPUTE.search(c.name) or not (c.reads & tainted):
                        continue
                    later = [t for t in timers if t.line > c.line]
                    if not later:
                        continue
                    t = later[0]
                    evals = [e for e in f.calls if e.line > t.line and any(
                        facts.on_eval_path(g) for g in facts.resolve_call(f, e))]
                    if evals:
                        yield ctx.finding(self, facts, c.node,
                                          f"`{c.name}` reads validation data before the timer starts at line {t.line} "
                                          f"(`{facts.code(t.node)[:50] if t.node else t.targets[0]}`) for "
                                          f"`{evals[0].name}`: eval work outside the timer")

    VALID = (
        Example(
            """
            import os, time
            ngram_hint_precompute_outside = bool(int(os.environ.get("NGRAM_HINT_PRECOMPUTE_OUTSIDE", "0")))
            def eval_val(model, val_tokens, hints):
                loss_sum = 0.0
                loss_sum += model(val_tokens, hints).sum()
                return loss_sum
            def main(model, val_tokens, precompute_hints):
                t0 = time.perf_counter()
                hints = precompute_hints(val_tokens)
                bpb = eval_val(model, val_tokens, hints)
                print(bpb, time.perf_counter() - t0)
            """,
            trap="precompute inside the timer; the outside switch off",
        ),
    )
    INVALID = (
        Example(
            """
            import os
            ngram_hint_precompute_outside = bool(int(os.environ.get("NGRAM_HINT_PRECOMPUTE_OUTSIDE", "1")))
            """,
            trap="*_PRECOMPUTE_OUTSIDE defaulting to 1", lines=(2,),
        ),
        Example(
            """
            import time
            def eval_val(model, val_tokens, hints):
                loss_sum = 0.0
                loss_sum += model(val_tokens, hints).sum()
                return loss_sum
            def main(model, val_tokens, precompute_hints):
                hints = precompute_hints(val_tokens)
                t0 = time.perf_counter()
                bpb = eval_val(model, val_tokens, hints)
                print(bpb, time.perf_counter() - t0)
            """,
            trap="timer started after the val-dependent precompute", lines=(7,),
        ),
    )
