"""MDLM maths (Sahoo et al. 2024): absorbing masks, the log-linear schedule, SUBS, the
continuous-time NELBO used for training, the discrete-T ELBO (a diagnostic bound), and the
left-to-right chain rule, which is the challenge-legal score.

Every window is x_0..x_L: x_0 is the token before the window (always visible context, as the AR
reference predicts its first target from it) and x_1..x_L are the L scored targets.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def mask_rate(t: torch.Tensor, eps: float) -> torch.Tensor:
    """1 - alpha_t = (1 - eps) t: the probability that a token is masked at time t."""
    return (1.0 - eps) * t


def alpha(t: torch.Tensor, eps: float) -> torch.Tensor:
    """Log-linear schedule: alpha_t = 1 - (1 - eps) t, the probability a token is still visible."""
    return 1.0 - mask_rate(t, eps)


def loss_weight(t: torch.Tensor, eps: float) -> torch.Tensor:
    """NELBO weight -alpha'_t / (1 - alpha_t); equals 1/t for the log-linear schedule, any eps.
    (1 - alpha_t is formed directly, not by subtraction, so small t loses no precision.)"""
    return (1.0 - eps) / mask_rate(t, eps)


def sample_times(batch: int, mode: str, t_min: float, device, generator=None) -> torch.Tensor:
    """Low-discrepancy t in [t_min, 1]: 'stratified' (one draw per stratum b/B), 'shifted' (one shared
    offset on the grid b/B), or 'antithetic' (pairs t, 1-t). All are unbiased for U[0, 1]."""
    if mode == "stratified":
        u = (torch.rand(batch, device=device, generator=generator) + torch.arange(batch, device=device)) / batch
    elif mode == "shifted":
        u = (torch.rand(1, device=device, generator=generator) + torch.arange(batch, device=device) / batch) % 1.0
    elif mode == "antithetic":
        half = torch.rand((batch + 1) // 2, device=device, generator=generator)
        u = torch.cat((half, 1.0 - half))[:batch]
    else:
        raise ValueError(f"unknown time sampling mode {mode!r}")
    return (1.0 - t_min) * u + t_min


def mask_tokens(x: torch.Tensor, rate: torch.Tensor, mask_id: int, u: torch.Tensor | None = None):
    """Absorbing forward process: mask each target (not x_0) with probability ``rate`` [B].
    ``u`` [B, L+1] are the uniforms to use (deterministic eval masks); returns (z, masked)."""
    if u is None:
        u = torch.rand(x.shape, device=x.device)
    masked = u < rate[:, None]
    masked[:, 0] = False  # x_0 is context, never noised
    return torch.where(masked, torch.full_like(x, mask_id), x), masked


def masked_nll(model, z: torch.Tensor, masked: torch.Tensor, x: torch.Tensor, t: torch.Tensor | None,
               features=None):
    """SUBS: -ln x_theta[x] at masked positions only (visible positions carry over at log-prob 0).
    Returns a flat tensor aligned with ``masked.nonzero()`` order. ``features`` may be a compiled
    ``model.features`` (static shapes), leaving the data-dependent gather eager."""
    h = (features or model.features)(z, t)
    return F.cross_entropy(model.logits(h[masked]), x[masked], reduction="none")


def nelbo_loss(model, x: torch.Tensor, eps: float = 1e-3, t_mode: str = "stratified", t_min: float = 1e-3,
               weight_clamp: float = 0.0, features=None) -> torch.Tensor:
    """Monte Carlo continuous-time NELBO, nats per target token (an unbiased train-set bound when
    weight_clamp is 0). x: [B, L+1]."""
    B, L = x.size(0), x.size(1) - 1
    t = sample_times(B, t_mode, t_min, x.device)
    z, masked = mask_tokens(x, mask_rate(t, eps), model.cfg.mask_id)
    w = loss_weight(t, eps)
    if weight_clamp > 0:
        w = w.clamp(max=weight_clamp)
    nll = masked_nll(model, z, masked, x, t, features)
    row_w = w[:, None].expand_as(masked)[masked]
    return (row_w * nll).sum() / (B * L)


def ar_loss(model, x: torch.Tensor, features=None) -> torch.Tensor:
    """Next-token cross entropy for the causal baseline (same windows, same targets x_1..x_L)."""
    logits = model.logits((features or model.features)(x[:, :-1]))
    return F.cross_entropy(logits.reshape(-1, logits.size(-1)), x[:, 1:].reshape(-1))


# ---------------------------------------------------------------------------------------------
# Evaluation: per-window nats over the L targets


def hash_uniform(seed: int, window_ids: torch.Tensor, step: int, length: int) -> torch.Tensor:
    """Uniforms in [0, 1) that are a pure function of (seed, global window index, step, position):
    eval masks do not depend on batch size, world size or window order."""
    pos = torch.arange(length, device=window_ids.device, dtype=torch.int64)
    h = (window_ids.to(torch.int64)[:, None] * 0x9E3779B1 + pos[None, :] * 0x85EBCA77
         + (step * 0xC2B2AE3D + seed * 0x27D4EB2F)) & 0xFFFFFFFF
    for mult in (0x45D9F3B, 0x2C1B3C6D):  # 32-bit integer mixing; products stay below 2^63
        h = ((h ^ (h >> 16)) * mult) & 0xFFFFFFFF
    h = h ^ (h >> 16)
    return h.to(torch.float64) / 2.0**32


@torch.no_grad()
def elbo_nats(model, x: torch.Tensor, window_ids: torch.Tensor, T: int, eps: float = 1e-3,
              seed: int = 0) -> torch.Tensor:
    """Discrete-T ELBO per window (nats, float64 [B]): sum over steps t_i = i/T of
    c_i * sum_masked -ln x_theta[x], c_i = (alpha_{i-1} - alpha_i) / (1 - alpha_i), one deterministic
    mask pattern per (window, step), plus the prior KL L * eps * ln V for p(z_1) = (1-eps) d_mask +
    eps Uniform(V). A valid codelength bound for a whole window, but not causal: diagnostic only."""
    B, L = x.size(0), x.size(1) - 1
    V = model.cfg.vocab_size
    total = torch.full((B,), L * eps * math.log(V), dtype=torch.float64, device=x.device)
    for i in range(1, T + 1):
        a_prev, a_i = (1.0 if i == 1 else 1.0 - (1.0 - eps) * (i - 1) / T), 1.0 - (1.0 - eps) * i / T
        c_i = (a_prev - a_i) / (1.0 - a_i)
        t = torch.full((B,), i / T, device=x.device)
        u = hash_uniform(seed, window_ids, i, L + 1)
        z, masked = mask_tokens(x, mask_rate(t, eps).double(), model.cfg.mask_id, u)
        if not masked.any():
            continue
        nll = masked_nll(model, z, masked, x, t).double()
        rows = masked.nonzero()[:, 0]
        total.index_add_(0, rows, c_i * nll)
    return total


@torch.no_grad()
def l2r_nats(model, x: torch.Tensor, block: int = 1, rows_per_pass: int = 256, features=None) -> torch.Tensor:
    """Left-to-right chain rule, nats per target [B, L] (float64). Target i is scored from the input
    x_0..x_{s-1} followed by masks, s the start of its block of ``block`` positions: p_i depends only
    on the strict prefix, is a full distribution over the V real tokens, and is used exactly once.
    block = 1 is the exact chain rule (each target from all earlier ones); it costs one forward pass
    of L + 1 tokens per target. ``features`` may be a compiled ``model.features``."""
    B, L = x.size(0), x.size(1) - 1
    mask_id = model.cfg.mask_id
    starts = torch.arange(1, L + 1, block, device=x.device)  # one input row per block
    R = starts.numel()
    pos = torch.arange(L + 1, device=x.device)
    out = torch.empty(B, L, dtype=torch.float64, device=x.device)
    for lo in range(0, B * R, rows_per_pass):
        idx = torch.arange(lo, min(lo + rows_per_pass, B * R), device=x.device)  # (window, row) pairs
        wb, s = idx // R, starts[idx % R]
        z = torch.where(pos[None, :] >= s[:, None], torch.full_like(x[wb], mask_id), x[wb])
        t = (L - s + 1).float() / L  # mask fraction; only a time-conditioned model reads it
        h = (features or model.features)(z, t)
        j = s[:, None] + torch.arange(block, device=x.device)[None, :]  # scored positions per row
        ok = j <= L
        rows = torch.arange(len(idx), device=x.device)[:, None].expand_as(j)[ok]
        j = j[ok]
        wbj = wb[:, None].expand(-1, block)[ok]
        nll = F.cross_entropy(model.logits(h[rows, j]), x[wbj, j], reduction="none")
        out[wbj, j - 1] = nll.double()
    return out


@torch.no_grad()
def ar_nats(model, x: torch.Tensor, features=None) -> torch.Tensor:
    """Causal baseline nats per target [B, L] (float64)."""
    logits = model.logits((features or model.features)(x[:, :-1]))
    nll = F.cross_entropy(logits.reshape(-1, logits.size(-1)), x[:, 1:].reshape(-1), reduction="none")
    return nll.view(x.size(0), -1).double()
