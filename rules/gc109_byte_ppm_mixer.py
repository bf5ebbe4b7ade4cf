"""GC109 — online byte-level PPM or other streaming byte mixers scored as val_bpb."""

from golfcheck.findings import Severity
from golfcheck.rule import Example, Rule, Ruling
from ._eval_time import byte_mixers


class BytePpmMixer(Rule):
    id = "GC109"
    name = "byte-ppm-mixer"
    severity = Severity.WARNING
    summary = "Online byte-level PPM / streaming byte mixer in the scored metric; no ruling, excluded from the board."
    rationale = (
        "A byte-level predictor that updates only after each byte is scored can satisfy C3, but the mixed "
        "distribution must be proper at every step (C2), cover the full validation set, and be charged against "
        "the canonical raw bytes. Organisers never accepted one: PR #1902 excluded 'PPM-D/byte-mixture C2' "
        "rows, and Issue #1872 questioned whether byte-PPM-plus-NN mixes sum to 1."
    )
    looks_for = (
        "Functions named ppm / PPM-D / byte mixture / mix_bpb (or methods of PPM classes), reached from outside "
        "the PPM code; the message lists the tells found: a byte stream built from token pieces, a λ gate, "
        "per-byte -log2 sums divided by the total bytes."
    )
    traps = (
        "A PPM path behind a flag the run configuration disables (PPM_ENABLED=0) is dormant (engine).",
        "Token-level n-gram tilt is not a byte mixer (GC905 / GC108).",
        "A carefully normalised framework (#1916, non-record) is still a HOLD: no organiser ruled it legal.",
    )
    rulings = (
        Ruling("PR #1902 (cocohearts, 2026-04-28/29)", "https://github.com/openai/parameter-golf/pull/1902",
               "excluded 'PPM-D/byte-mixture C2' rows from the leaderboard"),
        Ruling("Issue #1872 (C2 discussion)", "https://github.com/openai/parameter-golf/issues/1872"),
        Ruling("PR #1795 (ruling requested, none given)", "https://github.com/openai/parameter-golf/pull/1795"),
    )

    def check(self, ctx):
        for facts in ctx.facts:
            for mixer in byte_mixers(facts):
                tells = f" ({'; '.join(mixer.tells)})" if mixer.tells else ""
                yield ctx.finding(self, facts, mixer.line, (
                    f"byte-level PPM / streaming mixer `{mixer.function.qualname}`{tells}: no organiser ruling, and "
                    f"#1902 excluded PPM-D/byte-mixture rows; a reviewer must check that the mixture is a proper "
                    f"distribution at every byte (C2), covers the full validation set and uses raw bytes"))

    VALID = (
        Example(
            """
            import math
            import torch

            def eval_val(model, x, y, base_bytes_lut):
                nll = torch.nn.functional.cross_entropy(model(x), y, reduction="none")
                loss_sum = nll.double().sum()
                byte_count = base_bytes_lut[y].double().sum()
                return loss_sum / math.log(2) / byte_count
            """,
            trap="token-level scoring charged against raw bytes is the standard metric",
        ),
        Example(
            """
            import torch

            def tilt_nll(nll, p_hint, hit, beta):
                log_z = torch.log1p(p_hint * (torch.exp(beta) - 1))
                return nll - beta * hit + log_z
            """,
            trap="token-only closed-form tilt (GC905) is not a byte mixer",
        ),
    )
    INVALID = (
        Example(
            """
            import math
            import numpy as np

            def _ppm_mixture_bpb(targets, nll, sp, order=5, lambda_hi=0.9, lambda_lo=0.05):
                byte_stream = []
                for tok in targets:
                    byte_stream.extend(sp.id_to_piece(int(tok)).encode("utf-8"))
                total = 0.0
                for i, b in enumerate(byte_stream):
                    p_ppm = 1.0 / 256
                    lam = lambda_hi if i % 2 else lambda_lo
                    total += -math.log2(lam * p_ppm + (1 - lam) * 1.0 / 256)
                return total / len(byte_stream)

            def eval_val(h, targets, nll, sp):
                return _ppm_mixture_bpb(targets, nll, sp, order=h.ppm_order)
            """,
            trap="byte stream from token pieces, λ gate, -log2 per byte over total bytes (#1785/#1854 shape)",
            lines=(4,),
        ),
        Example(
            """
            import os

            class Hyperparameters:
                ppm_enabled = bool(int(os.environ.get("PPM_ENABLED", "0")))

            class PPMDState:
                def byte_probs(self, ctx):
                    return [1.0 / 256] * 256

            def score_bytes(state, data):
                return sum(state.byte_probs(data[:i])[b] for i, b in enumerate(data))

            def main(h, state, data):
                if h.ppm_enabled:
                    return score_bytes(state, data)
            """,
            trap="PPM state class behind PPM_ENABLED=0: the engine reports it as dormant",
            severity=Severity.NOTE,
        ),
    )
