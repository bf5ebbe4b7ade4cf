"""Optimisers: AdamW for everything (the CPU default), or Muon for the trunk's matrices with Adam for
embeddings, head and vectors (the GPU configuration: matrix lr 0.02, as in the challenge's baseline)."""

from __future__ import annotations

import torch


def orthogonalize(g: torch.Tensor, steps: int = 5) -> torch.Tensor:
    """Approximate U V^T of g = U S V^T with a quintic Newton-Schulz iteration (in bf16)."""
    a, b, c = 3.4445, -4.7750, 2.0315
    x = g.bfloat16()
    transposed = x.size(0) > x.size(1)
    if transposed:
        x = x.T
    x = x / (x.norm() + 1e-7)
    for _ in range(steps):
        xxt = x @ x.T
        x = a * x + (b * xxt + c * xxt @ xxt) @ x
    return (x.T if transposed else x).to(g.dtype)


class Muon(torch.optim.Optimizer):
    """SGD with Nesterov momentum whose update is orthogonalised, scaled by sqrt(max(1, rows/cols))."""

    def __init__(self, params, lr: float = 0.02, momentum: float = 0.95):
        super().__init__(params, dict(lr=lr, momentum=momentum))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                buf = self.state[p].setdefault("momentum", torch.zeros_like(p.grad))
                buf.mul_(group["momentum"]).add_(p.grad)
                update = orthogonalize(p.grad.add(buf, alpha=group["momentum"]))
                p.add_(update, alpha=-group["lr"] * max(1.0, p.size(0) / p.size(1)) ** 0.5)


def build_optimizers(model, kind: str, lr: float, matrix_lr: float, betas, weight_decay: float):
    """Returns a list of optimisers; every param group remembers its base lr as ``base_lr``."""
    if kind == "adamw":
        opts = [torch.optim.AdamW(model.parameters(), lr=lr, betas=betas, weight_decay=weight_decay)]
    elif kind == "muon":
        matrices = [p for n, p in model.named_parameters() if p.ndim == 2 and n.startswith("blocks.")]
        ids = {id(p) for p in matrices}
        rest = [p for p in model.parameters() if id(p) not in ids]
        opts = [Muon(matrices, lr=matrix_lr), torch.optim.AdamW(rest, lr=lr, betas=betas, weight_decay=0.0)]
    else:
        raise ValueError(f"unknown OPTIMIZER {kind!r} (adamw or muon)")
    for opt in opts:
        for group in opt.param_groups:
            group["base_lr"] = group["lr"]
    return opts
