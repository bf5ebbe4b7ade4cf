"""Tiny synthetic submission files for rule examples and tests (written for golfcheck, not copied)."""

from __future__ import annotations

import json

TRAIN_GPT = """\
import os
SEED = int(os.environ.get("SEED", "1337"))
print("training with seed", SEED)
"""

README = "# Record: tiny example\n\nval_bpb 1.0001 (3-seed mean)\n"


def log(seed: int, bpb: float = 1.0001, loss: float | None = None, total: int = 15_900_000,
        train_ms: int = 590_000, eval_ms: int = 90_000, val_tokens: int = 40_540_160,
        model: int | None = None, code: int | None = None) -> str:
    """A modern-era log: hyperparameter block, training stop, sizes, scored sliding-window line."""
    loss = round(bpb / 0.38713, 8) if loss is None else loss
    code = len(TRAIN_GPT.encode()) if code is None else code
    model = total - code if model is None else model
    return (
        "Hyperparameters:\n"
        f"  seed: {seed}\n"
        "  num_layers: 11\n"
        "  world_size: 8\n"
        f"val_tokens: {val_tokens}\n"
        f"stopping_early: wallclock_cap train_time: {train_ms}ms step: 4800/20000\n"
        f"Serialized model quantized+brotli: {model} bytes\n"
        f"Code size: {code} bytes\n"
        f"Total submission size quantized+brotli: {total} bytes\n"
        f"quantized_sliding_window val_loss:{loss:.8f} val_bpb:{bpb:.8f} eval_time:{eval_ms}ms\n"
    )


def submission_json(seeds: dict[int, float], total: int = 15_900_000, **extra) -> str:
    """A strictRecord-complete submission.json for the given per-seed val_bpb values."""
    vals = list(seeds.values())
    mean = sum(vals) / len(vals)
    std = (sum((v - mean) ** 2 for v in vals) / (len(vals) - 1)) ** 0.5 if len(vals) > 1 else 0.0
    data = {
        "author": "Example Author",
        "github_id": "example",
        "name": "Tiny example",
        "date": "2026-05-01",
        "track": "10min_16mb",
        "blurb": "A small synthetic submission used by golfcheck's rule examples.",
        "val_bpb": round(mean, 8),
        "val_loss": round(mean / 0.38713, 8),
        "val_bpb_std": round(std, 8),
        "seeds": list(seeds),
        "seed_results": {str(s): {"val_bpb": v, "val_loss": round(v / 0.38713, 8), "artifact_bytes": total}
                         for s, v in seeds.items()},
        "bytes_total": total,
        "hardware": "8xH100 80GB SXM",
    }
    data.update(extra)
    return json.dumps(data, indent=2) + "\n"


GOOD_SEEDS = {42: 1.00010000, 314: 1.00030000, 999: 1.00020000}


def good_files(seeds: dict[int, float] | None = None) -> dict[str, str]:
    """README, submission.json and one log per seed that agree with each other."""
    seeds = seeds or GOOD_SEEDS
    files = {"README.md": README, "submission.json": submission_json(seeds)}
    for s, v in seeds.items():
        files[f"train_seed{s}.log"] = log(s, v)
    return files
