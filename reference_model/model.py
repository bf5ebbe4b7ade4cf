"""The transformer trunk shared by the three objectives: bidirectional for the MDLM, causal for its
same-size AR twin, and with an explicit attention mask over two copies for block diffusion.

Embedding of V+1 rows (row V is [MASK]); the head has V outputs (the first V embedding rows when
tied), so the model can never put probability on [MASK]: the first SUBS substitution by construction.
Blocks: RMSNorm -> attention (GQA, RoPE, QK RMSNorm) and RMSNorm -> ReLU^2 MLP, with zero-initialised
output projections. Optional adaLN time conditioning (off by default: with absorbing masks the number
of masks already tells the model t). A pass may take explicit RoPE positions, a boolean attention
mask and the keys/values of an earlier pass to attend to first (a KV cache of the clean prefix).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class ModelConfig:
    vocab_size: int = 1024  # real tokens; the [MASK] id is vocab_size
    num_layers: int = 2
    model_dim: int = 128
    num_heads: int = 4
    num_kv_heads: int = 4
    mlp_mult: int = 3
    tie_embeddings: bool = False
    time_cond: bool = False  # adaLN on t; the mask count reveals t almost exactly, so off by default
    cond_dim: int = 128
    logit_softcap: float = 30.0  # 0 disables
    rope_base: float = 10000.0
    causal: bool = False  # True only for the autoregressive baseline

    @property
    def mask_id(self) -> int:
        return self.vocab_size


def rms_norm(x: torch.Tensor) -> torch.Tensor:
    return F.rms_norm(x, (x.size(-1),))


class Rotary(nn.Module):
    def __init__(self, head_dim: int, base: float):
        super().__init__()
        self.register_buffer("inv_freq", 1.0 / base ** (torch.arange(0, head_dim, 2).float() / head_dim),
                             persistent=False)

    def forward(self, x: torch.Tensor, pos: torch.Tensor | None = None) -> torch.Tensor:  # x: [B, H, L, D]
        if pos is None:
            pos = torch.arange(x.size(-2), device=x.device)
        freqs = torch.outer(pos.float(), self.inv_freq)
        cos, sin = freqs.cos().to(x.dtype), freqs.sin().to(x.dtype)
        x1, x2 = x.chunk(2, dim=-1)
        return torch.cat((x1 * cos - x2 * sin, x1 * sin + x2 * cos), dim=-1)


class Attention(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.h, self.kv, self.causal = cfg.num_heads, cfg.num_kv_heads, cfg.causal
        self.hd = cfg.model_dim // cfg.num_heads
        self.q = nn.Linear(cfg.model_dim, self.h * self.hd, bias=False)
        self.k = nn.Linear(cfg.model_dim, self.kv * self.hd, bias=False)
        self.v = nn.Linear(cfg.model_dim, self.kv * self.hd, bias=False)
        self.o = nn.Linear(self.h * self.hd, cfg.model_dim, bias=False)
        nn.init.zeros_(self.o.weight)
        self.rotary = Rotary(self.hd, cfg.rope_base)

    def forward(self, x: torch.Tensor, pos=None, mask=None, prefix=None):
        """Returns the output and this pass's (k, v) [B, kv, L, hd]. ``mask`` [L, P+L] (True = may
        attend) replaces the default (full, or causal for the AR twin); ``prefix`` is the (k, v) of
        an earlier pass of P tokens, placed before this pass's keys."""
        B, L, _ = x.shape
        q = self.q(x).view(B, L, self.h, self.hd).transpose(1, 2)
        k = self.k(x).view(B, L, self.kv, self.hd).transpose(1, 2)
        v = self.v(x).view(B, L, self.kv, self.hd).transpose(1, 2)
        q, k = self.rotary(rms_norm(q), pos), self.rotary(rms_norm(k), pos)
        kv = (k, v)
        if prefix is not None:
            k, v = torch.cat((prefix[0], k), dim=2), torch.cat((prefix[1], v), dim=2)
        if self.kv != self.h:  # GQA: share each K/V head across h/kv query heads
            k = k.repeat_interleave(self.h // self.kv, dim=1)
            v = v.repeat_interleave(self.h // self.kv, dim=1)
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=self.causal and mask is None)
        return self.o(y.transpose(1, 2).reshape(B, L, self.h * self.hd)), kv


class MLP(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.fc = nn.Linear(cfg.model_dim, cfg.mlp_mult * cfg.model_dim, bias=False)
        self.proj = nn.Linear(cfg.mlp_mult * cfg.model_dim, cfg.model_dim, bias=False)
        nn.init.zeros_(self.proj.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(F.relu(self.fc(x)).square())


class Block(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.attn, self.mlp = Attention(cfg), MLP(cfg)
        # adaLN: shift and scale of both pre-norms from the time embedding; zero init = unconditioned
        self.ada = nn.Linear(cfg.cond_dim, 4 * cfg.model_dim) if cfg.time_cond else None
        if self.ada is not None:
            nn.init.zeros_(self.ada.weight)
            nn.init.zeros_(self.ada.bias)

    def forward(self, x: torch.Tensor, cond: torch.Tensor | None, pos=None, mask=None, prefix=None):
        if self.ada is None:
            a, kv = self.attn(rms_norm(x), pos, mask, prefix)
            x = x + a
            return x + self.mlp(rms_norm(x)), kv
        shift1, scale1, shift2, scale2 = self.ada(cond)[:, None, :].chunk(4, dim=-1)
        a, kv = self.attn(rms_norm(x) * (1 + scale1) + shift1, pos, mask, prefix)
        x = x + a
        return x + self.mlp(rms_norm(x) * (1 + scale2) + shift2), kv


def time_features(t: torch.Tensor, dim: int) -> torch.Tensor:
    """Sinusoidal features of t in [0, 1] (scaled by 1000, as for diffusion step indices)."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, device=t.device, dtype=torch.float32) / half)
    args = 1000.0 * t.float()[:, None] * freqs[None, :]
    return torch.cat((args.cos(), args.sin()), dim=-1)


class DiffusionLM(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.tok_emb = nn.Embedding(cfg.vocab_size + 1, cfg.model_dim)
        nn.init.normal_(self.tok_emb.weight, std=0.02)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.num_layers))
        self.head = None if cfg.tie_embeddings else nn.Linear(cfg.model_dim, cfg.vocab_size, bias=False)
        if self.head is not None:
            nn.init.normal_(self.head.weight, std=0.02)
        self.time_mlp = (nn.Sequential(nn.Linear(cfg.cond_dim, cfg.cond_dim), nn.SiLU(),
                                       nn.Linear(cfg.cond_dim, cfg.cond_dim)) if cfg.time_cond else None)

    def features_kv(self, z: torch.Tensor, t: torch.Tensor | None = None, pos=None, mask=None, prefix=None):
        """Final hidden states [B, L, d] of the (noised) sequence z, and every layer's (k, v) of this
        pass. t [B] is used only with adaLN; ``pos``, ``mask`` and ``prefix`` (one (k, v) per layer)
        as in Attention.forward."""
        cond = None
        if self.time_mlp is not None:
            if t is None:
                raise ValueError("a time-conditioned model needs t")
            cond = self.time_mlp(time_features(t, self.cfg.cond_dim))
        x = self.tok_emb(z)
        kvs = []
        for i, block in enumerate(self.blocks):
            x, kv = block(x, cond, pos, mask, None if prefix is None else prefix[i])
            kvs.append(kv)
        return rms_norm(x), kvs

    def features(self, z: torch.Tensor, t: torch.Tensor | None = None, pos=None, mask=None) -> torch.Tensor:
        """Final hidden states [B, L, d] (see features_kv)."""
        return self.features_kv(z, t, pos, mask)[0]

    def logits(self, h: torch.Tensor) -> torch.Tensor:
        """Logits over the V real tokens only: the [MASK] id has no output."""
        w = self.tok_emb.weight[: self.cfg.vocab_size] if self.head is None else self.head.weight
        logits = F.linear(h, w).float()
        c = self.cfg.logit_softcap
        return c * torch.tanh(logits / c) if c > 0 else logits

    def log_probs(self, h: torch.Tensor) -> torch.Tensor:
        return F.log_softmax(self.logits(h), dim=-1)

    def forward(self, z: torch.Tensor, t: torch.Tensor | None = None) -> torch.Tensor:
        return self.logits(self.features(z, t))


def count_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
