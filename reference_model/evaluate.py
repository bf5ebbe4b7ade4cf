"""Validation: every scored target once, byte counts from the metric's tables, float64 sums reduced
across ranks before any division (the result does not depend on world size, batch or order)."""

from __future__ import annotations

import numpy as np
import torch
import torch.distributed as dist

from golfcheck.metric import BpbMeter, target_bytes
from .diffusion import ar_nats, elbo_nats, l2r_nats


def window_bytes(luts, windows: torch.Tensor) -> np.ndarray:
    """Bytes of each window's targets x_1..x_L given their previous tokens; int64 [N]."""
    w = windows.cpu().numpy()
    return target_bytes(luts, w[:, 1:], w[:, :-1]).sum(axis=1)


def evaluate(model, windows: torch.Tensor, luts, mode: str = "l2r", *, block: int = 1, T: int = 16,
             eps: float = 1e-3, seed: int = 0, batch_windows: int = 8, rows_per_pass: int = 256,
             device="cpu", autocast: bool = False, rank: int = 0, world_size: int = 1) -> BpbMeter:
    """Score ``windows`` [N, L+1] with ``mode`` in {'l2r', 'elbo', 'ar'}; ranks split the windows
    ``N*rank//world .. N*(rank+1)//world``. Returns the meter, all-reduced when a process group is
    up (without one, a caller can merge the per-rank meters itself)."""
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
            if mode == "l2r":
                nats = l2r_nats(model, x, block, rows_per_pass).sum(dim=1)
            elif mode == "elbo":
                ids = torch.arange(b, b + x.size(0), device=x.device)
                nats = elbo_nats(model, x, ids, T, eps, seed)
            elif mode == "ar":
                nats = ar_nats(model, x).sum(dim=1)
            else:
                raise ValueError(f"unknown eval mode {mode!r}")
        meter.add(float(nats.sum()), x.size(0) * L, float(nbytes[b : b + x.size(0)].sum()))
    model.train(was_training)
    if world_size > 1 and dist.is_available() and dist.is_initialized():
        sums = torch.tensor(meter.as_array(), dtype=torch.float64, device=device)
        dist.all_reduce(sums)
        meter = BpbMeter.from_array(sums.cpu().numpy())
    return meter


@torch.no_grad()
def causality_selftest(model, window: torch.Tensor, cut: int, block: int = 1, rows_per_pass: int = 256,
                       seed: int = 0) -> bool:
    """Replace x_cut..x_L with other tokens: the l2r scores of targets before ``cut`` must be
    bit-identical (same shapes, so the same kernels run)."""
    was_training = model.training
    model.eval()
    x = window[None].clone()
    y = x.clone()
    g = torch.Generator().manual_seed(seed)
    y[0, cut:] = torch.randint(0, model.cfg.vocab_size, (x.size(1) - cut,), generator=g).to(x.device)
    a = l2r_nats(model, x, block, rows_per_pass)[0, : cut - 1]
    b = l2r_nats(model, y, block, rows_per_pass)[0, : cut - 1]
    model.train(was_training)
    return bool(torch.equal(a, b))
