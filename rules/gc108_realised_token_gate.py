"""GC108 — n-gram tilt experts whose gate reads the realised token (within-word, word-start, agreement)."""

from golfcheck.findings import Severity
from golfcheck.rule import Example, Rule, Ruling
from ._eval_time import enabled_experts, experts_by_log, realised_gate_sites, setting_reads


def _describe(found, experts) -> str:
    parts = []
    for expert in experts:
        vals = ", ".join(f"{e.setting.env or e.setting.key}={e.setting.value} ({e.setting.source})"
                         for e in found if e.expert == expert)
        parts.append(f"{expert}: {vals}")
    return "; ".join(parts)


class RealisedTokenGate(Rule):
    id = "GC108"
    name = "realised-token-gate"
    severity = Severity.ERROR
    ruling_date = "2026-04-30"
    summary = "N-gram tilt hint/gate chosen from properties of the token being predicted (within-word/word/agree experts)."
    rationale = (
        "The tilt p'(t) = p(t)·e^{β·1[t=h]}/Z is legal only if the hint h and its β depend on the prefix alone. "
        "The within-word, word-start and agreement experts of PR #1420/#1967 decided whether to offer a hint at "
        "position p from tokens[p] (is it a boundary, does it start a word), which breaks C1. The accepted "
        "records (#1514, #2135) run token-only, with those experts switched off."
    )
    looks_for = (
        "Effective settings (code default, README/run.sh, log echoes) of NGRAM_WITHIN_BETA, NGRAM_WORD_BETA, "
        "WITHIN_BOOST/WITHIN_TAU, WORD_BOOST/WORD_TAU, AGREE_*: an expert is on when its β/boost is non-zero and "
        "its probability gate can be met (τ ≤ 1). In Python: a loop that writes the hint for position i under a "
        "test on lut[tokens[i]] (the realised token)."
    )
    traps = (
        "Using the realised token to update the tables after the hint for p is written is fine.",
        "Token-only tilt with closed-form Z is legal (GC905): within/word β = 0 or τ > 1 switches the experts off.",
        "The agreement bonus only matters when a within/word expert is on (#1514 logs ngram_agree_bonus 0.1 with both β = 0).",
        "The Python helper of a gated expert can ship in a clean token-only submission (#2135): it is a note when "
        "the run configuration switches that expert off.",
        "C/C++ kernels are reported by GC002; this rule reads their configuration.",
    )
    rulings = (
        Ruling("PR #1420 causal fix (abaybektursun, comment 4199452189)", "https://github.com/openai/parameter-golf/pull/1420",
               "is_bnd/is_ws must come from tokens[p-1], not tokens[p]"),
        Ruling("PR #2018 review (leon2k2k2k, 2026-04-30)", "https://github.com/openai/parameter-golf/pull/2018",
               "within-word / word-level gates inspect the realised token"),
        Ruling("PR #2146 (cocohearts, 2026-05-02)", "https://github.com/openai/parameter-golf/pull/2146",
               "token-only n-gram gates verified for #2135"),
    )

    def check(self, ctx):
        on, found = enabled_experts(ctx.config)
        mixed = ""
        if on:
            finding = self._config_finding(ctx, on, found)
            by_log = experts_by_log(ctx)
            clean = sorted(rel for rel, experts in by_log.items() if not experts)
            if clean:  # e.g. original runs with the experts on, token-only replays with them off (#2018)
                dirty = sorted(rel for rel, experts in by_log.items() if experts)
                mixed = (f"the logs disagree: {', '.join(dirty) or 'the run configuration'} ran with them on, "
                         f"{', '.join(clean)} with them off; a reviewer must check which run produced the reported score")
                finding = finding.with_severity(Severity.WARNING, mixed)
            yield finding
        off = not on and any(e.role == "strength" for e in found)
        for facts in ctx.facts:
            for site in realised_gate_sites(facts):
                message = (f"the hint for position `{site.index}` is written under a test on `{site.gate}`, a property "
                           f"of the realised token `{site.token}` at that position (C1; PR #1420 causal fix)")
                severity = None
                if off:
                    message += f"; the run configuration switches the realised-token experts off ({_describe(found, ('within', 'word'))})"
                    severity = Severity.NOTE
                elif mixed:
                    message += f"; {mixed}"
                    severity = Severity.WARNING
                yield ctx.finding(self, facts, site.line, message, severity=severity)

    def _config_finding(self, ctx, on, found):
        keys = [e.setting.key for e in found if e.expert in on and e.role == "strength"]
        for facts in sorted(ctx.facts, key=lambda f: (f.path != "train_gpt.py", f.path)):
            lines = [line for key in keys for line in setting_reads(facts, key)]
            if lines:
                at, where = min(lines), facts
                break
        else:
            first = next(e.setting for e in found if e.expert in on)
            where = next((f for f in ctx.facts if f.path == first.path), ctx.facts[0])
            at = first.line or 1
        return ctx.finding(self, where, at, (
            f"n-gram tilt experts that gate on the realised token are on in the run configuration "
            f"({_describe(found, on)}); only token-only tilt (within/word β = 0) was accepted (#1514, #2135)"))

    VALID = (
        Example(
            """
            import os

            class Hyperparameters:
                ngram_tilt_enabled = bool(int(os.environ.get("NGRAM_TILT_ENABLED", "1")))
                ngram_base_beta = float(os.environ.get("NGRAM_BASE_BETA", "2.0"))
                ngram_within_beta = float(os.environ.get("NGRAM_WITHIN_BETA", "0.92"))
                ngram_word_beta = float(os.environ.get("NGRAM_WORD_BETA", "0.5"))
                ngram_agree_bonus = float(os.environ.get("NGRAM_AGREE_BONUS", "0.1"))

            def build(h, mixer):
                return mixer(h.ngram_base_beta, h.ngram_within_beta, h.ngram_word_beta, h.ngram_agree_bonus)
            """,
            files={"README.md": "```\nexport NGRAM_WITHIN_BETA=0.0\nexport NGRAM_WORD_BETA=0.0\nSEED=0 torchrun train_gpt.py\n```\n"},
            trap="non-zero code defaults overridden to 0 by the README run command (#1514); agree bonus alone is moot",
        ),
        Example(
            """
            import numpy as np

            def hints(tokens, table, boundary_lut):
                out = np.zeros(len(tokens), dtype=np.int64)
                for i in range(1, len(tokens)):
                    prev = int(tokens[i - 1])
                    if not boundary_lut[prev]:
                        out[i] = table.get(prev, 0)
                    tok = int(tokens[i])
                    table[prev] = tok
                return out
            """,
            trap="gate from tokens[i-1] and a table update with the realised token after the hint is written",
        ),
    )
    INVALID = (
        Example(
            """
            import os

            class Hyperparameters:
                within_tau = float(os.environ.get("WITHIN_TAU", "0.450"))
                within_boost = float(os.environ.get("WITHIN_BOOST", "0.750"))
                word_tau = float(os.environ.get("WORD_TAU", "0.650"))
                word_boost = float(os.environ.get("WORD_BOOST", "0.750"))

            def precompute(h, tokens, build_hints_for_targets):
                return build_hints_for_targets(tokens, within_tau=h.within_tau, within_boost=h.within_boost,
                                               word_tau=h.word_tau, word_boost=h.word_boost)
            """,
            trap="within/word experts on by default (#1967 shape)",
            lines=(10,),
        ),
        Example(
            """
            import numpy as np

            def word_hints(tokens, starts_new_word_lut, best):
                top = np.zeros(len(tokens), dtype=np.int64)
                for i, tok in enumerate(tokens):
                    is_word_start = bool(starts_new_word_lut[tok])
                    if is_word_start:
                        top[i] = best.get(i, 0)
                return top
            """,
            trap="hint for position i written only when the realised token at i starts a word (#1967 WordStartState)",
            lines=(8,),
        ),
        Example(
            """
            import os

            class Hyperparameters:
                word_tau = float(os.environ.get("WORD_TAU", "99.0"))
                word_boost = float(os.environ.get("WORD_BOOST", "0.0"))

            def word_hints(tokens, boundary_lut, best):
                top = [0] * len(tokens)
                for i in range(len(tokens)):
                    tok = tokens[i]
                    if boundary_lut[tok]:
                        continue
                    top[i] = best.get(i, 0)
                return top
            """,
            trap="realised-token helper shipped but switched off by WORD_TAU=99 / WORD_BOOST=0 (#2135): note",
            severity=Severity.NOTE,
            lines=(13,),
        ),
    )
