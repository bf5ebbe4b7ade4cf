"""Validation: every scored target once, byte counts from the metric's tables, float64 sums reduced
across ranks before any division (the result does not depend on world size, batch or order); the
evaluation's time budget (measure a few windows, project the whole split, pick a window that fits);
and the causality self-test of the legal scorers.

Legal (causal) modes: 'l2r' (the MDLM chain rule, ``block`` = k targets per pass, k = 1 exact),
'bd3' (the block-diffusion chain rule, ``block`` = B) and 'ar'. 'elbo' is the MDLM's discrete-T
bound, a diagnostic that sees later tokens.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.distributed as dist

from golfcheck.metric import BpbMeter, target_bytes
from .bd3 import bd3_nats
from .diffusion import ar_nats, elbo_nats, l2r_nats

CAUSAL_MODES = ("l2r", "bd3", "ar")


def window_bytes(luts, windows: torch.Tensor) -> np.ndarray:
    """Bytes of each window's targets x_1..x_L given their previous tokens; int64 [N]."""
    w = windows.cpu().numpy()
    return target_bytes(luts, w[:, 1:], w[:, :-1]).sum(axis=1)


def causal_nats(model, x: torch.Tensor, mode: str, block: int = 1, rows_per_pass: int = 256, features=None,
                features_kv=None) -> torch.Tensor:
    """Nats per target [B, L] (float64) of a legal scorer: p_i depends only on x_0..x_{i-1}."""
    if mode == "l2r":
        return l2r_nats(model, x, block, rows_per_pass, features)
    if mode == "bd3":
        return bd3_nats(model, x, block, features_kv)
    if mode == "ar":
        return ar_nats(model, x, features)
    raise ValueError(f"unknown causal eval mode {mode!r}")


def evaluate(model, windows: torch.Tensor, luts, mode: str = "l2r", *, block: int = 1, T: int = 16,
             eps: float = 1e-3, seed: int = 0, batch_windows: int = 8, rows_per_pass: int = 256,
             device="cpu", autocast: bool = False, rank: int = 0, world_size: int = 1, features=None,
             features_kv=None) -> BpbMeter:
    """Score ``windows`` [N, L+1] with ``mode`` in {'l2r', 'bd3', 'ar', 'elbo'}; ranks split the
    windows ``N*rank//world .. N*(rank+1)//world``. Returns the meter, all-reduced when a process
    group is up (without one, a caller can merge the per-rank meters itself). ``features`` and
    ``features_kv`` may be compiled versions of the model's methods."""
    n, L = windows.size(0), windows.size(1) - 1
    lo, hi = n * rank // world_size, n * (rank + 1) // world_size
    nbytes = window_bytes(luts, windows)
    meter = BpbMeter()
    was_training = model.training
    model.eval()
    dtype = torch.bfloat16 if autocast else torch.float32
    for b in range(lo, hi, batch_windows):
        x = windows[b : min(b + batch_windows, hi)].to(device)
        with torch.autocast(device_type=torch.device(device).type, dtype=dtype, enabled=autocast):
            if mode == "elbo":
                nats = elbo_nats(model, x, torch.arange(b, b + x.size(0), device=x.device), T, eps, seed)
            else:
                nats = causal_nats(model, x, mode, block, rows_per_pass, features, features_kv).sum(dim=1)
        meter.add(float(nats.sum()), x.size(0) * L, float(nbytes[b : b + x.size(0)].sum()))
    model.train(was_training)
    if world_size > 1 and dist.is_available() and dist.is_initialized():
        sums = torch.tensor(meter.as_array(), dtype=torch.float64, device=device)
        dist.all_reduce(sums)
        meter = BpbMeter.from_array(sums.cpu().numpy())
    return meter


# ---------------------------------------------------------------------------------------------
# The time budget


def seconds_per_window(score, windows: torch.Tensor, batch_windows: int, clock=time.perf_counter,
                       sync=lambda: None) -> float:
    """Score one batch untimed (warm-up: compilation, allocator), then time the next batch (or the
    same one again when there is only one); returns seconds per window."""
    first = windows[:batch_windows]
    second = windows[batch_windows : 2 * batch_windows]
    if second.size(0) == 0:
        second = first
    score(first)
    sync()
    t0 = clock()
    score(second)
    sync()
    return (clock() - t0) / second.size(0)


@dataclass
class EvalPlan:
    seq_len: int
    windows: int  # windows of the projected split, over all ranks
    seconds_per_window: float
    projected_seconds: float  # the slowest rank's share: ceil(windows / world_size) windows
    fits: bool
    tried: list[tuple[int, float]] = field(default_factory=list)  # (seq_len, projected seconds)


def plan_eval(candidates: list[int], measure, n_windows, world_size: int, max_seconds: float) -> EvalPlan:
    """The first (longest) window length in ``candidates`` whose projected evaluation time fits
    ``max_seconds`` (<= 0: no budget, take the first). ``measure(L)`` is seconds per window and
    ``n_windows(L)`` the windows of the split at length L. When none fits, returns the last one
    tried with fits=False; measuring stops at the first that fits."""
    tried: list[tuple[int, float]] = []
    plan = None
    for L in candidates:
        spw, n = measure(L), n_windows(L)
        projected = math.ceil(n / world_size) * spw
        tried.append((L, projected))
        plan = EvalPlan(L, n, spw, projected, max_seconds <= 0 or projected <= max_seconds, tried)
        if plan.fits:
            return plan
    if plan is None:
        raise ValueError("no candidate evaluation window")
    return plan


def window_candidates(fixed: int, longest: int, shortest: int = 16) -> list[int]:
    """``[fixed]`` when the window is set; else ``longest`` halved down to ``shortest``."""
    if fixed > 0:
        return [fixed]
    out = [longest]
    while out[-1] // 2 >= shortest:
        out.append(out[-1] // 2)
    return out


# ---------------------------------------------------------------------------------------------
# Causality self-test


def selftest_cuts(L: int, block: int) -> list[int]:
    """Cuts c (first replaced position) for the self-test: early, a block boundary (the first target
    of the second block) and the target after it, the middle, and the last target."""
    return sorted({c for c in (2, block + 1, block + 2, L // 2 + 1, L) if 1 <= c <= L})


@torch.no_grad()
def causality_selftest(score, windows: torch.Tensor, cuts: list[int], vocab_size: int,
                       seed: int = 0) -> tuple[bool, bool]:
    """``score`` maps windows [N, L+1] to nats [N, L] (target i at column i-1). For every cut c:
    replacing x_c..x_L must leave the nats of targets 1..c-1 bit-identical (the same shapes run, so
    the same kernels), and replacing x_0..x_{c-1} is expected to change the nats of targets c..L (the
    score reads its prefix). Returns (future_invariant, prefix_sensitive)."""
    g = torch.Generator().manual_seed(seed)
    base = score(windows)
    future_invariant, prefix_sensitive = True, False
    for c in cuts:
        y = windows.clone()
        y[:, c:] = torch.randint(0, vocab_size, y[:, c:].shape, generator=g).to(y.device)
        future_invariant &= torch.equal(score(y)[:, : c - 1], base[:, : c - 1])
        y = windows.clone()
        y[:, :c] = torch.randint(0, vocab_size, y[:, :c].shape, generator=g).to(y.device)
        prefix_sensitive |= not torch.equal(score(y)[:, c - 1 :], base[:, c - 1 :])
    return bool(future_invariant), bool(prefix_sensitive)
