"""The artifact: per-row int8 (or int6) quantisation + zlib (or zstd-22), as in the challenge's baseline.

Rules, per state-dict entry: non-float tensors pass through; small float tensors (<= 65,536
elements) are kept as fp16 (fp32 for control tensors); 2-D float tensors get a per-row scale from the
99.99984th percentile of |W_r| with the reference floor of 1/qmax; other large tensors get one scale.
int6 stores values in [-31, 31] in int8 containers and keeps the embedding at int8.
"""

from __future__ import annotations

import io
import os
import zlib

import torch

KEEP_FLOAT_MAX_NUMEL = 65_536
CLIP_QUANTILE = 0.9999984
CONTROL_PATTERNS = tuple(p for p in os.environ.get(
    "CONTROL_TENSOR_NAME_PATTERNS",
    "attn_scale,attn_scales,mlp_scale,mlp_scales,resid_mix,resid_mixes,q_gain,skip_weight,skip_weights",
).split(",") if p)
SIZE_LIMIT = 16_000_000


def _quantize_rows(w: torch.Tensor, qmax: int, floor: bool):
    w = w.float()
    clip = torch.quantile(w.abs(), CLIP_QUANTILE, dim=1) if w.numel() else torch.zeros(w.size(0))
    scale = clip / qmax
    scale = scale.clamp(min=1.0 / qmax) if floor else scale.clamp(min=1e-12)
    scale = scale.half()  # stored as fp16; quantise with the stored value so dequantisation matches
    s = scale.float()[:, None]
    q = torch.clamp(torch.round(torch.maximum(torch.minimum(w, clip[:, None]), -clip[:, None]) / s), -qmax, qmax)
    return q.to(torch.int8), scale


def quantize_state_dict(state: dict, bits: int = 8, floor: bool = True) -> dict:
    """Quantise a state dict into the container that is saved and compressed."""
    obj = {"__quant_format__": f"int{bits}_clean_per_row_v1", "quantized": {}, "scales": {}, "dtypes": {},
           "passthrough": {}, "passthrough_orig_dtypes": {}}
    for name, t in state.items():
        t = t.detach().cpu()
        if not t.is_floating_point():
            obj["passthrough"][name] = t.clone()
        elif t.numel() <= KEEP_FLOAT_MAX_NUMEL:
            keep32 = any(p in name for p in CONTROL_PATTERNS)
            obj["passthrough"][name] = t.float().clone() if keep32 else t.half()
            obj["passthrough_orig_dtypes"][name] = str(t.dtype).removeprefix("torch.")
        else:
            qmax = 127 if bits == 8 or "tok_emb" in name else (1 << (bits - 1)) - 1
            obj["dtypes"][name] = str(t.dtype).removeprefix("torch.")
            if t.ndim == 2:
                obj["quantized"][name], obj["scales"][name] = _quantize_rows(t, qmax, floor)
            else:
                clip = float(torch.quantile(t.float().abs().flatten(), CLIP_QUANTILE))
                scale = clip / qmax if clip > 0 else 1.0
                obj["quantized"][name] = torch.clamp(torch.round(t.float().clamp(-clip, clip) / scale),
                                                     -qmax, qmax).to(torch.int8)
                obj["scales"][name] = torch.tensor(scale, dtype=torch.float32)
    return obj


def dequantize_state_dict(obj: dict) -> dict:
    state = {}
    for name, q in obj["quantized"].items():
        scale = obj["scales"][name].float()
        w = q.float() * (scale[:, None] if scale.ndim == 1 else scale)
        state[name] = w.to(getattr(torch, obj["dtypes"][name]))
    for name, t in obj["passthrough"].items():
        orig = obj["passthrough_orig_dtypes"].get(name)
        state[name] = t.to(getattr(torch, orig)) if orig else t
    return state


def compress(raw: bytes, compressor: str) -> bytes:
    if compressor == "zlib":
        return zlib.compress(raw, 9)
    if compressor == "zstd":
        import zstandard

        return zstandard.ZstdCompressor(level=22).compress(raw)
    raise ValueError(f"unknown compressor {compressor!r} (zlib or zstd)")


def decompress(blob: bytes, compressor: str) -> bytes:
    if compressor == "zlib":
        return zlib.decompress(blob)
    import zstandard

    return zstandard.ZstdDecompressor().decompress(blob)


def scheme_name(bits: int, compressor: str) -> str:
    """The label used in log lines, e.g. 'int8+zlib' or 'int6+zstd22'."""
    return f"int{bits}+" + ("zstd22" if compressor == "zstd" else compressor)


def serialize(state: dict, bits: int = 8, compressor: str = "zlib", floor: bool = True) -> tuple[bytes, dict]:
    """Quantise, torch.save and compress; returns (blob, stats). Deterministic for a given state."""
    obj = quantize_state_dict(state, bits, floor)
    buf = io.BytesIO()
    torch.save(obj, buf)
    raw = buf.getvalue()
    payload = sum(t.numel() * t.element_size() for part in ("quantized", "scales", "passthrough")
                  for t in obj[part].values())
    baseline = sum(t.numel() * t.element_size() for t in state.values())
    return compress(raw, compressor), {"payload": payload, "raw_torch": len(raw), "baseline": baseline}


def deserialize(blob: bytes, compressor: str = "zlib") -> dict:
    obj = torch.load(io.BytesIO(decompress(blob, compressor)), map_location="cpu", weights_only=True)
    return dequantize_state_dict(obj)
