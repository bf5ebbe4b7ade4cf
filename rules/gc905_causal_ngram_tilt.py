"""GC905 — recognised legal pattern: causal token-only n-gram tilt with a closed-form normaliser."""

import re

import libcst as cst

from golfcheck.findings import Severity
from golfcheck.rule import Example, Rule, Ruling

from . import _ngram

# Z = 1 + p_hint * (exp(beta) - 1), in any of the usual spellings
Z_FORM = re.compile(r"1(\.0)?\s*\+\s*[\w\[\].]+\s*\*\s*\(\s*(torch\.|np\.|math\.)?(exp\(|[\w\[\].]+\.exp\(\))[^)]*\)?\s*-\s*1")


class CausalNgramTilt(Rule):
    id = "GC905"
    name = "causal-ngram-tilt"
    severity = Severity.NOTE
    summary = "LEGAL: one-token n-gram tilt p*e^(b*1[t=h])/Z with Z = 1 + p_h(e^b - 1), hint from the prefix."
    rationale = (
        "Boosting one hinted token and renormalising in closed form keeps a proper distribution (C2); the "
        "realised token only selects which term of that distribution is scored. PR #1514 (merged; HEAD "
        "2026-04-09_A2_Muon097_3Seed, ngram_tilt.py) is the precedent, with the within-word and word experts "
        "off (see GC108 for those)."
    )
    looks_for = "A comparison target == hint feeding a per-token NLL adjustment next to a log of Z = 1 + p_hint*(exp(beta) - 1)."
    traps = ("The hint must come from prefix-only tables; gates that read tokens[p] are GC108.",)
    rulings = (
        Ruling("PR #1514 (merged)", "https://github.com/openai/parameter-golf/pull/1514", "causal token-only n-gram tilt"),
        Ruling("Issue #1017, condition C2", "https://github.com/openai/parameter-golf/issues/1017", "normalised over the alphabet"),
    )

    def check(self, ctx):
        for facts in ctx.facts:
            for fn in facts.iter_functions():
                if fn.node is None or not Z_FORM.search(facts.code(fn.node)):
                    continue
                targets = _ngram.target_derived(facts, fn)
                for e in _ngram.flow(facts, fn).edges:
                    value = getattr(e.node, "value", None)
                    if value is None or isinstance(e.node, cst.Call):
                        continue
                    for d in _ngram._descendants(value):
                        if isinstance(d, cst.Comparison) and len(d.comparisons) == 1 and isinstance(d.comparisons[0].operator, cst.Equal):
                            a, b = _ngram.names_read(d.left), _ngram.names_read(d.comparisons[0].comparator)
                            if (a & targets) != (b & targets) and (a | b) - targets:
                                yield ctx.finding(self, facts, d,
                                                  f"closed-form n-gram tilt in `{fn.name}`: `{facts.code(d)}` selects the "
                                                  f"scored term of a distribution renormalised by Z (recognised legal pattern)")
                                break

    VALID = (
        Example(
            """
            import torch
            def tilt(p, hint, beta):
                return p * torch.exp(beta * (torch.arange(p.shape[-1]) == hint))
            """,
            trap="a tilt with no closed-form normaliser is not recognised here",
        ),
    )
    INVALID = (
        Example(
            """
            import torch
            def tilt_nll(nll, logits, target_ids, hints, betas):
                lse = torch.logsumexp(logits, -1)
                p_hint = (logits.gather(-1, hints[:, None])[:, 0] - lse).exp()
                Z = 1.0 + p_hint * (betas.exp() - 1.0)
                is_hit = (target_ids == hints).double()
                return nll + Z.log() - betas * is_hit
            """,
            trap="PR #1514 shape",
            lines=(6,),
        ),
    )
