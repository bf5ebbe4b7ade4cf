"""The artifact: quantisation rules, round trip, determinism, size accounting."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from reference_model.model import DiffusionLM, ModelConfig  # noqa: E402
from reference_model.quant import (SIZE_LIMIT, deserialize, quantize_state_dict, scheme_name,  # noqa: E402
                                   serialize)


def _state():
    g = torch.Generator().manual_seed(0)
    return {
        "blocks.0.attn.q.weight": torch.randn(300, 256, generator=g) * 0.05,  # 76,800 > 65,536: quantised
        "tok_emb.weight": torch.randn(1025, 128, generator=g) * 0.02,
        "big_vector": torch.randn(70_000, generator=g),  # not 2-D: one per-tensor scale
        "blocks.0.attn_scale": torch.randn(64, generator=g),  # control tensor: kept fp32
        "small.weight": torch.randn(32, 32, generator=g, dtype=torch.float32),  # small: fp16
        "small.bf16": torch.randn(16, generator=g).bfloat16(),
        "step": torch.tensor([7, 8, 9], dtype=torch.int64),  # non-float passthrough
    }


@pytest.mark.parametrize("bits,compressor", [(8, "zlib"), (6, "zstd")])
def test_round_trip_rules(tmp_path, bits, compressor):
    state = _state()
    blob, stats = serialize(state, bits, compressor)
    path = tmp_path / "m.ptz"
    path.write_bytes(blob)
    back = deserialize(path.read_bytes(), compressor)
    assert set(back) == set(state)
    assert torch.equal(back["step"], state["step"])
    assert torch.equal(back["blocks.0.attn_scale"], state["blocks.0.attn_scale"])
    assert torch.equal(back["small.weight"], state["small.weight"].half().float())
    assert back["small.bf16"].dtype == torch.bfloat16 and torch.equal(back["small.bf16"], state["small.bf16"])
    obj = quantize_state_dict(state, bits)
    for name in ("blocks.0.attn.q.weight", "tok_emb.weight"):
        w, scale = state[name], obj["scales"][name].float()[:, None]
        qmax = 127 if bits == 8 or "tok_emb" in name else 31
        assert int(obj["quantized"][name].abs().max()) <= qmax
        clip = torch.quantile(w.abs(), 0.9999984, dim=1)[:, None]
        inside = w.abs() <= clip
        err = (back[name] - w).abs()
        assert (err[inside] <= (0.57 * scale.expand_as(w))[inside]).all()
    assert stats["raw_torch"] > len(blob) and scheme_name(bits, compressor) in ("int8+zlib", "int6+zstd22")


def test_serialisation_is_deterministic():
    state = _state()
    assert serialize(state)[0] == serialize({k: v.clone() for k, v in state.items()})[0]


def test_model_state_dict_loads_strictly():
    model = DiffusionLM(ModelConfig(num_layers=1, model_dim=64))
    blob, _ = serialize(model.state_dict())
    fresh = DiffusionLM(ModelConfig(num_layers=1, model_dim=64))
    fresh.load_state_dict(deserialize(blob), strict=True)


def test_size_limit_is_decimal():
    assert SIZE_LIMIT == 16_000_000


def test_quantisation_damage_on_smoke_model(trained, val_windows, luts):
    """Round-trip causal bpb within 0.01 of pre-quant (measured on this model: below 0.001)."""
    from reference_model.evaluate import evaluate

    model = trained["model"]
    windows = val_windows[:16]
    pre = evaluate(model, windows, luts, "l2r", batch_windows=4).bpb
    copy = DiffusionLM(model.cfg)
    copy.load_state_dict(deserialize(serialize(model.state_dict())[0]), strict=True)
    post = evaluate(copy, windows, luts, "l2r", batch_windows=4).bpb
    assert abs(post - pre) < 0.01
