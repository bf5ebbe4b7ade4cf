"""GC506 — seed brute-forcing inside the script: loops over seeds that keep the best (HOLD)."""

import re

from golfcheck.findings import Severity
from golfcheck.rule import Example, Rule, Ruling
from ._data_bytes import code_files, last

SEED_TARGET = re.compile(r"(^|_)seed$", re.I)
SEED_ITER = re.compile(r"seeds|seed_list|seed_candidates|num_seeds|n_seeds|seed_trials|seed_range", re.I)
SEARCH_SETTING = re.compile(r"^(seed_search\w*|search_seeds?|num_seeds|n_seeds|seed_trials|seed_tries|best_of_seeds|seed_sweep\w*)$", re.I)
BEST = re.compile(r"^(best|min|lowest|top)(_\w+)?$|_best$", re.I)


class SeedSearch(Rule):
    id = "GC506"
    name = "seed-search"
    severity = Severity.WARNING
    summary = "The script searches over seeds and keeps the best run (seed brute-forcing)."
    rationale = (
        "The README rules out 'brute-forcing ridiculous seeds'. Reported seeds should be fixed in advance and every "
        "run reported; a loop over seeds that keeps the best result, or a seed-search setting, selects on outcomes."
    )
    looks_for = (
        "for-loops whose target is a seed (over seeds/range(num_seeds)) that assign best_* inside; SEED_SEARCH / "
        "NUM_SEEDS-style settings above 1."
    )
    traps = (
        "Seeding random, numpy and torch from one SEED is ordinary.",
        "Regenerating fixed random weights from per-layer seeds without a search (#1113) is legal.",
        "Per-seed log checks (seeds in logs vs submission.json) are done by the folder checks.",
    )
    rulings = (Ruling("README FAQ: brute-forcing ridiculous seeds is out of spirit", "https://github.com/openai/parameter-golf#faq", ""),
               Ruling("PR #2146 discussion on selecting on outcomes", "https://github.com/openai/parameter-golf/pull/2146", ""))

    def check(self, ctx):
        for facts in code_files(ctx):
            for s in ctx.config.settings.values():
                if s.path == facts.path and SEARCH_SETTING.match(s.key):
                    try:
                        n = float(s.value)
                    except (TypeError, ValueError):
                        n = 2.0 if s.value is True else 0.0
                    if n > 1:
                        yield ctx.finding(self, facts, s.line or 1, f"{s.env or s.key} = {s.value!r}: the script searches over seeds")
            for f in facts.iter_functions():
                for loop in f.loops.values():
                    if loop.kind != "for":
                        continue
                    if not (any(SEED_TARGET.search(last(t)) for t in loop.targets)
                            or any(SEED_ITER.search(last(n)) for n in loop.iter_reads)):
                        continue
                    best = [a for a in f.assigns if loop.line < a.line <= loop.end_line and not a.subscript_store
                            and any(BEST.search(last(t)) for t in a.targets)]
                    if best:
                        yield ctx.finding(self, facts, loop.line,
                                          f"loop over seeds keeps the best result (`{best[0].targets[0]}` at line {best[0].line})")

    VALID = (
        Example(
            """
            import os, random
            import numpy as np
            import torch
            seed = int(os.environ.get("SEED", 1337))
            random.seed(seed)
            np.random.seed(seed)
            torch.manual_seed(seed)
            def layer_seed(layer_idx, kind):
                return 1000 * layer_idx + kind
            """,
            trap="one fixed SEED; deterministic per-layer seeds without a search",
        ),
    )
    INVALID = (
        Example(
            """
            def search(train_and_eval, seeds):
                best_bpb, best_seed = float("inf"), None
                for seed in seeds:
                    bpb = train_and_eval(seed)
                    if bpb < best_bpb:
                        best_bpb, best_seed = bpb, seed
                return best_seed
            """,
            trap="loop over seeds keeping the best", lines=(3,),
        ),
        Example(
            """
            import os
            seed_search = int(os.environ.get("SEED_SEARCH", 64))
            """,
            trap="SEED_SEARCH-style setting", lines=(2,),
        ),
    )
