"""Significance tests of SUBMISSION_FORMAT §4 (scipy.stats; imported lazily).

Both tests are one-sided Welch t-tests on per-seed val_bpb, H1 "the new mean is lower":

* strict (the README rule): margin δ = 0.005 nats converted to bpb with the SOTA's bpb/nats ratio
  ``c``; pass at p < 0.01;
* progression (maintainers' practice since PR #1902): δ = 0; pass at p < 0.25.

With a single SOTA value (or only its mean) the one-sample test against ``ȳ − δ`` is used.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from statistics import fmean, stdev
from typing import Sequence

MARGIN_NATS = 0.005
ALPHA_STRICT = 0.01
ALPHA_PROGRESSION = 0.25

# bpb per nat by tokenizer family (§4.1): fallback when the SOTA's lines do not give it.
C_BY_TOKENIZER = {
    "sp1024": 0.59226,
    "sp4096": 0.43459,
    "sp8192": 0.38713,
    "sp8192_caseops": 0.45694,
    "byte": 1.0 / math.log(2),
}


@dataclass
class TTest:
    t: float | None
    df: float | None
    p: float | None
    kind: str  # welch | one-sample | none


@dataclass
class Comparison:
    x: list[float]
    y: list[float]
    c_sota: float
    c_new: float | None = None
    strict: TTest | None = None
    progression: TTest | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.x)

    @property
    def m(self) -> int:
        return len(self.y)

    @property
    def mean(self) -> float | None:
        return fmean(self.x) if self.x else None

    @property
    def sota_mean(self) -> float | None:
        return fmean(self.y) if self.y else None

    @property
    def std(self) -> float | None:
        return stdev(self.x) if len(self.x) > 1 else None

    @property
    def sota_std(self) -> float | None:
        return stdev(self.y) if len(self.y) > 1 else None

    @property
    def margin_bpb(self) -> float:
        """δ in bpb: 0.005 nats with the SOTA's c; the larger one when the tokenizers differ (§4.3)."""
        d = MARGIN_NATS * self.c_sota
        if self.c_new and abs(self.c_new - self.c_sota) / self.c_sota > 0.01:
            d = max(d, MARGIN_NATS * self.c_new)
        return d

    @property
    def delta_bpb(self) -> float | None:
        if self.mean is None or self.sota_mean is None:
            return None
        return self.mean - self.sota_mean

    @property
    def delta_nats(self) -> float | None:
        d = self.delta_bpb
        return None if d is None else d / self.c_sota

    @property
    def each_seed_beats(self) -> bool | None:
        if not self.x or self.sota_mean is None:
            return None
        return all(v < self.sota_mean - self.margin_bpb for v in self.x)

    def to_dict(self) -> dict:
        def test(tt: TTest | None, alpha: float) -> dict:
            if tt is None:
                return {"p": None, "pass": False, "t": None, "df": None, "alpha": alpha, "test": "none"}
            return {"p": tt.p, "pass": bool(tt.p is not None and tt.p < alpha), "t": tt.t, "df": tt.df,
                    "alpha": alpha, "test": tt.kind}

        return {
            "n": self.n, "m": self.m, "mean": self.mean, "sota_mean": self.sota_mean,
            "std": self.std, "sota_std": self.sota_std,
            "delta_bpb": self.delta_bpb, "delta_nats": self.delta_nats,
            "c_sota": self.c_sota, "c_new": self.c_new, "margin_bpb": self.margin_bpb,
            "margin_nats": MARGIN_NATS, "each_seed_beats_margin": self.each_seed_beats,
            "strict": test(self.strict, ALPHA_STRICT),
            "progression": test(self.progression, ALPHA_PROGRESSION),
            "values": list(self.x), "sota_values": list(self.y), "notes": list(self.notes),
        }


def _finite(v) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def welch_less(x: Sequence[float], y: Sequence[float], delta: float = 0.0) -> TTest:
    """One-sided test of H1: mean(x) < mean(y) − delta (Welch; one-sample when ``len(y) == 1``)."""
    from scipy import stats  # lazy: only `validate` and `check` pay for scipy

    if len(x) < 2 or len(y) < 1:
        return TTest(None, None, None, "none")
    xs = [v + delta for v in x]
    if stdev(x) == 0 and (len(y) == 1 or stdev(y) == 0):
        return TTest(None, None, None, "degenerate (no seed-to-seed variance)")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # nearly identical seeds: scipy warns, we report
        if len(y) == 1:
            r = stats.ttest_1samp(xs, popmean=y[0], alternative="less")
            return TTest(_finite(r.statistic), float(len(x) - 1), _finite(r.pvalue), "one-sample")
        r = stats.ttest_ind(xs, list(y), equal_var=False, alternative="less")
    df = getattr(r, "df", None)
    if df is None:  # scipy < 1.11: Welch–Satterthwaite by hand
        vx, vy = stdev(x) ** 2 / len(x), stdev(y) ** 2 / len(y)
        df = (vx + vy) ** 2 / (vx**2 / (len(x) - 1) + vy**2 / (len(y) - 1)) if vx + vy else None
    return TTest(_finite(r.statistic), _finite(df), _finite(r.pvalue), "welch")


def compare(x: Sequence[float], y: Sequence[float], c_sota: float, c_new: float | None = None) -> Comparison:
    """Both tests of §4.3 for new per-seed values ``x`` against SOTA per-seed values ``y``."""
    cmp = Comparison(list(x), list(y), c_sota, c_new)
    if c_new and abs(c_new - c_sota) / c_sota > 0.01:
        cmp.notes.append(
            f"tokenizers differ (c_new={c_new:.5f}, c_sota={c_sota:.5f}); margin uses the larger δ")
    cmp.strict = welch_less(x, y, cmp.margin_bpb)
    cmp.progression = welch_less(x, y, 0.0)
    return cmp


def c_from_lines(pairs: Sequence[tuple[float, float | None]]) -> float | None:
    """Mean bpb/nats ratio over (bpb, loss) pairs with a positive loss."""
    ratios = [b / l for b, l in pairs if l and l > 0 and b and b > 0]
    return fmean(ratios) if ratios else None


def c_for_tokenizer(text: str | None) -> float | None:
    """Fallback c from a tokenizer path or dataset name (§4.1)."""
    if not text:
        return None
    low = text.lower()
    if "caseops" in low or "lossless_caps" in low:
        return C_BY_TOKENIZER["sp8192_caseops"]
    for key in ("sp8192", "8192", "sp4096", "4096", "sp1024", "1024"):
        if key in low:
            return C_BY_TOKENIZER["sp" + key.removeprefix("sp")]
    if "byte" in low:
        return C_BY_TOKENIZER["byte"]
    return None


def welch_two_sided(x: Sequence[float], y: Sequence[float]) -> TTest:
    """Two-sided Welch test (systems-only PRs: val_bpb must be unchanged within noise, p > 0.05)."""
    from scipy import stats

    if len(x) < 2 or len(y) < 2 or (stdev(x) == 0 and stdev(y) == 0):
        return TTest(None, None, None, "none")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        r = stats.ttest_ind(list(x), list(y), equal_var=False)
    return TTest(_finite(r.statistic), _finite(getattr(r, "df", None)), _finite(r.pvalue), "welch-two-sided")
