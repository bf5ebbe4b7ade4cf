"""Block diffusion (BD3-LM, Arriola et al. 2025): masked diffusion inside blocks of B targets, each
block conditioned on the clean tokens before it.

Training puts two copies of every window through the trunk at once (the two-copy trick): the clean
inputs x_0..x_{L-1} at positions 0..L-1 and the noised targets z_1..z_L at positions 1..L. A noised
target attends to the noised targets of its own block (both ways) and to the clean tokens before the
block's first target; a clean token attends to the clean tokens up to itself (causal, so the clean
copy of a prefix is an ordinary KV cache). Each block is noised on its own (block_masks), and the
loss is the NELBO of diffusion.py summed over blocks.

The legal score is the chain rule inside every block: target i of a block is predicted from the clean
prefix (its cached keys and values) and the block's earlier targets, the later ones masked. One clean
pass fills the cache, then pass j of the noised copy scores offset j of every block: B + 1 passes of
L tokens per window, where the MDLM chain rule needs L passes of L + 1. B = 1 is an autoregressive
model (a [MASK] at position i reading x_0..x_{i-1}); B = L is the MDLM chain rule given x_0.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .diffusion import loss_weight, mask_rate, sample_times


def two_copy_mask(L: int, block: int, device) -> torch.Tensor:
    """[2L, 2L] boolean attention mask (True = may attend) over (clean x_0..x_{L-1}, noised z_1..z_L).
    Noised index a is target x_{a+1}; its block starts at target index (a // block) * block, so it
    sees the clean tokens x_0..x_start and the noised targets of the same block."""
    i = torch.arange(L, device=device)
    start = (i // block) * block
    clean_clean = i[None, :] <= i[:, None]
    noised_clean = i[None, :] <= start[:, None]
    noised_noised = (i[:, None] // block) == (i[None, :] // block)
    top = torch.cat((clean_clean, torch.zeros_like(clean_clean)), dim=1)
    return torch.cat((top, torch.cat((noised_clean, noised_noised), dim=1)), dim=0)


def two_copy_positions(L: int, device) -> torch.Tensor:
    """RoPE positions of (clean x_0..x_{L-1}, noised z_1..z_L): [0..L-1, 1..L]."""
    i = torch.arange(L, device=device)
    return torch.cat((i, i + 1))


def block_masks(n: int, L: int, block: int, device, mode: str = "count", eps: float = 1e-3, t_min: float = 1e-3):
    """Which targets of [n, L] are masked, and each masked target's NELBO weight. 'count': every block
    masks m ~ Uniform{1..B} of its targets, a uniformly random subset, each weighted B/m; 'time':
    every block draws t (stratified over the batch), masks each target with probability (1 - eps) t and
    weights it 1/t. Both estimate the same NELBO (at eps -> 0): given m masks, t ~ Beta(m+1, B-m+1)
    has E[1/t] = (B+1)/m and m is uniform on 0..B, so 'count' is the t-integral done in closed form,
    without the binomial noise of m given t or the 1/t tail that small blocks suffer."""
    n_blocks = L // block
    if mode == "count":
        m = torch.randint(1, block + 1, (n, n_blocks, 1), device=device)
        rank = torch.rand(n, n_blocks, block, device=device).argsort(dim=-1).argsort(dim=-1)
        masked = (rank < m).view(n, L)
        weight = (block / m).expand(-1, -1, block).reshape(n, L)
        return masked, weight
    if mode == "time":
        t = sample_times(n * n_blocks, "stratified", t_min, device)
        t = t[torch.randperm(t.numel(), device=device)].view(n, n_blocks, 1).expand(-1, -1, block).reshape(n, L)
        return torch.rand(n, L, device=device) < mask_rate(t, eps), loss_weight(t, eps)
    raise ValueError(f"unknown block mask mode {mode!r} (count or time)")


def bd3_loss(model, x: torch.Tensor, block: int, masks: str = "count", eps: float = 1e-3, t_min: float = 1e-3,
             features=None) -> torch.Tensor:
    """Monte Carlo block-diffusion NELBO, nats per target token; x: [B, L+1] with L a multiple of
    ``block``. Blocks are noised independently (block_masks)."""
    if model.cfg.time_cond:
        raise ValueError("block diffusion has one t per block; TIME_COND is for the MDLM only")
    n, L = x.size(0), x.size(1) - 1
    if L % block:
        raise ValueError(f"block diffusion trains on whole blocks: TRAIN_SEQ_LEN={L} is not a multiple of {block}")
    masked, weight = block_masks(n, L, block, x.device, masks, eps, t_min)
    y = x[:, 1:]
    z = torch.where(masked, torch.full_like(y, model.cfg.mask_id), y)
    h = (features or model.features)(torch.cat((x[:, :-1], z), dim=1), None, two_copy_positions(L, x.device),
                                      two_copy_mask(L, block, x.device))[:, L:]
    nll = F.cross_entropy(model.logits(h[masked]), y[masked], reduction="none")
    return (weight[masked] * nll).sum() / (n * L)


@torch.no_grad()
def bd3_nats(model, x: torch.Tensor, block: int, features_kv=None) -> torch.Tensor:
    """The block chain rule, nats per target [B, L] (float64): p_i depends only on x_0..x_{i-1}, is a
    full distribution over the V real tokens, and is used once."""
    run = features_kv or model.features_kv
    n, L = x.size(0), x.size(1) - 1
    mask = two_copy_mask(L, block, x.device)
    pos = two_copy_positions(L, x.device)
    _, cache = run(x[:, :-1], None, pos[:L], mask[:L, :L])
    y = x[:, 1:]
    offset = torch.arange(L, device=x.device) % block
    out = torch.empty(n, L, dtype=torch.float64, device=x.device)
    for j in range(min(block, L)):
        z = torch.where(offset[None, :] >= j, torch.full_like(y, model.cfg.mask_id), y)
        h, _ = run(z, None, pos[L:], mask[L:], cache)
        cols = (offset == j).nonzero()[:, 0]
        logits = model.logits(h[:, cols])
        nll = F.cross_entropy(logits.reshape(-1, logits.size(-1)), y[:, cols].reshape(-1), reduction="none")
        out[:, cols] = nll.view(n, -1).double()
    return out
