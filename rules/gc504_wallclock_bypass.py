"""GC504 — code shapes that bypass the 600 s training cap (cap > 600 or 0, step-only stops).

GPTQ Hessian collection on training data after the loop without a reserve is GC303 (training data after
the window): one finding for one cause."""

import re

from golfcheck.findings import Severity
from golfcheck.rule import Example, Rule, Ruling
from golfcheck.runconfig import truthy
from ._data_bytes import WALLCLOCK_NAME, code_files, evidence_texts, grep, is_non_record, last, training_loops

LIMIT = 600.0
STOP_STEP = re.compile(r"^(force[d]?_stop_step|stop_at_step|fixed_steps|force_steps|stop_step)$", re.I)


class WallclockBypass(Rule):
    id = "GC504"
    name = "wallclock-cap-bypass"
    severity = Severity.ERROR
    summary = "The training code can run past 600 s: cap > 600 or 0, or a step-count stop that disables the cap (from logs: training over 600 s)."
    rationale = (
        "Training, including GPTQ Hessian collection on training data, must finish within 600 s on 8xH100. #1908's "
        "FORCE_STOP_STEP turned the wallclock check off and ran 601,153 ms (#1956). Hessians from train_loader after "
        "the loop need a wallclock reservation (GPTQ_RESERVE_SECONDS; #1868 raised it from 0.5 to 8 s)."
    )
    looks_for = (
        "MAX_WALLCLOCK_SECONDS defaulting (or set) above 600 or to 0; a stop-step setting that gates the wallclock "
        "comparison; a training-data warmup before "
        "the timer that does not restore the initial weights and optimizer state (HOLD)."
    )
    traps = (
        "The baseline's warmup on training data restores the initial model and optimizer state: it only primes "
        "compilation and is accepted practice.",
        "Non-record tracks may train longer: reported as a note there.",
        "Log-derived train times are checked by the folder checks (golfcheck check), not here.",
    )
    rulings = (Ruling("PR #1956 on #1908's FORCE_STOP_STEP (2026-04-30)", "https://github.com/openai/parameter-golf/pull/1956", ""),
               Ruling("PR #1868 compliance rerun: GPTQ_RESERVE_SECONDS 0.5 -> 8", "https://github.com/openai/parameter-golf/pull/1868", ""),
               Ruling("README: train in under 10 minutes on 8xH100", "https://github.com/openai/parameter-golf#faq", ""))

    def check(self, ctx):
        soft = Severity.NOTE if is_non_record(ctx) else None
        for facts in code_files(ctx):
            yield from self._cap(ctx, facts, soft)
            yield from self._stop_step(ctx, facts)
            yield from self._warmup(ctx, facts)

    def _cap(self, ctx, facts, soft):
        def bad(v):
            try:
                v = float(v)
            except (TypeError, ValueError):
                return None
            return "disables the cap" if v == 0 else (f"exceeds {LIMIT:g} s" if v > LIMIT else None)

        for s in ctx.config.settings.values():
            if s.path != facts.path or s.key != "max_wallclock_seconds":
                continue
            eff, dflt = bad(s.value), bad(s.default)
            if eff:
                src = f" (from {s.source})" if s.source else ""
                yield ctx.finding(self, facts, s.line or 1, f"MAX_WALLCLOCK_SECONDS = {s.value!r}{src} {eff}", severity=soft)
            elif dflt:
                yield ctx.finding(self, facts, s.line or 1,
                                  f"MAX_WALLCLOCK_SECONDS defaults to {s.default!r} ({dflt}); the run configuration sets "
                                  f"{s.value!r} ({s.source}), so the reported run is capped", severity=Severity.NOTE)

    def _stop_step(self, ctx, facts):
        for s in ctx.config.settings.values():
            if s.path != facts.path or not (STOP_STEP.match(s.key) or (s.env and STOP_STEP.match(s.env))):
                continue
            holders = {s.key}
            for f in facts.iter_functions():
                for a in f.assigns:
                    if any(last(n) in holders for n in a.reads) and not any(WALLCLOCK_NAME.search(last(n)) for n in a.reads):
                        holders.update(last(t) for t in a.targets)
            for f in facts.iter_functions():
                gates = [a for a in f.assigns if any(last(n) in holders for n in a.reads)
                         and any(WALLCLOCK_NAME.search(last(n)) for n in a.reads)]
                gates += [(n, line) for n, line, *_ in f.ifs
                          if any(last(x) in holders for x in _names(facts.code(n.test)))
                          and WALLCLOCK_NAME.search(facts.code(n.test))]
                for g in gates[:1]:
                    line = g.line if hasattr(g, "line") else g[1]
                    on, value, source = truthy(s.value), s.value, s.source
                    if not on and s.env:  # README prose such as "seed 42, `FORCE_STOP_STEP=4945`" is not a run command
                        m = next(grep(evidence_texts(ctx, logs=True), re.compile(rf"\b{re.escape(s.env)}=([1-9]\d*)")), None)
                        if m:
                            on, value, source = True, m[2].group(1), f"{m[0]}:{m[1]}"
                    yield ctx.finding(self, facts, line,
                                      f"{s.env or s.key} switches the wallclock cap off (value {value!r}"
                                      f"{', from ' + source if source else ''}): training then stops on a step count "
                                      "only", severity=None if on else Severity.NOTE)

    def _warmup(self, ctx, facts):
        for f in facts.iter_functions():
            for loop in training_loops(facts, f):
                if not any(re.search(r"warmup", n, re.I) for n in loop.iter_reads | loop.targets):
                    continue
                inside = [c for c in f.calls if loop.line <= c.line <= loop.end_line]
                if not any(_reads_train(facts, f, c) for c in inside):
                    continue  # compile warmup on random or synthetic tokens
                enclosing = [g for g in facts.iter_functions() if g.line <= f.line and g.end_line >= f.end_line]
                restores = [c for g in enclosing for c in g.calls
                            if c.name in ("load_state_dict", "copy_", "restore") and c.line > loop.end_line]
                if not restores:
                    yield ctx.finding(self, facts, loop.line, "warmup steps train on training data before the timer and "
                                      "do not restore the initial weights and optimizer state: hidden training",
                                      severity=Severity.WARNING)

    VALID = (
        Example(
            """
            import copy, os, time
            max_wallclock_seconds = float(os.environ.get("MAX_WALLCLOCK_SECONDS", 600.0))
            def train(args, model, opt, train_loader):
                init_model = copy.deepcopy(model.state_dict())
                init_opt = copy.deepcopy(opt.state_dict())
                for warmup_step in range(args.warmup_steps):
                    x, y = train_loader.next_batch()
                    model(x, y).backward()
                    opt.step()
                model.load_state_dict(init_model)
                opt.load_state_dict(init_opt)
                t0 = time.perf_counter()
                max_wallclock_ms = 1e3 * max_wallclock_seconds
                while (time.perf_counter() - t0) * 1e3 < max_wallclock_ms:
                    x, y = train_loader.next_batch()
                    model(x, y).backward()
                    opt.step()
            """,
            trap="the baseline warmup restores weights and optimizer state; cap 600 s",
        ),
    )
    INVALID = (
        Example(
            """
            import os
            max_wallclock_seconds = float(os.environ.get("MAX_WALLCLOCK_SECONDS", 0))
            """,
            trap="MAX_WALLCLOCK_SECONDS default 0 disables the cap", lines=(2,),
        ),
        Example(
            """
            import os, time
            def train(h, model, opt, train_loader, max_wallclock_ms):
                forced_stop_step = int(os.environ.get("FORCE_STOP_STEP", "0"))
                t0 = time.perf_counter()
                step = 0
                while True:
                    if forced_stop_step > 0 and step >= forced_stop_step:
                        break
                    reached_cap = forced_stop_step <= 0 and (time.perf_counter() - t0) * 1e3 >= max_wallclock_ms
                    if reached_cap:
                        break
                    x, y = train_loader.next_batch()
                    model(x, y).backward()
                    opt.step()
                    step += 1
            """,
            files={"README.md": "Step-matched runs:\n- seed 42, `FORCE_STOP_STEP=4945`\n"},
            trap="FORCE_STOP_STEP gating the wallclock check (#1908)", lines=(9,),
        ),
        Example(
            """
            def train(args, model, opt, train_loader):
                for warmup_step in range(args.warmup_steps):
                    x, y = train_loader.next_batch()
                    model(x, y).backward()
                    opt.step()
            """,
            trap="warmup that keeps its updates", severity=Severity.WARNING, lines=(2,),
        ),
    )


def _names(code: str) -> list[str]:
    return re.findall(r"[A-Za-z_][A-Za-z0-9_]*", code)


def _reads_train(facts, f, call, depth=0) -> bool:
    """Does ``call`` read a training batch (next_batch, a train loader), directly or in a local callee?"""
    if call.name in ("next_batch", "get_batch") or any(re.search(r"train_(loader|stream)", n) for n in call.reads):
        return True
    if depth >= 2:
        return False
    return any(_reads_train(facts, g, c, depth + 1) for g in facts.resolve_call(f, call) for c in g.calls)
