"""What submission.json claims, normalised (§2.2): ``{seed: {"val_bpb": ..., ...}}``.

Three shapes occur: ``seed_results{"42": {...}}``, ``seeds{"42": {...}}`` (object form) and the
parallel arrays ``seeds: [..]`` + ``seed_scores: [..]`` (+ ``eval_time_seconds: [..]``).
"""

from __future__ import annotations

from typing import Any


def _seed_key(k: Any) -> int | None:
    try:
        return int(str(k).strip())
    except (TypeError, ValueError):
        return None


def _num(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    return float(v)


def per_seed(data: Any) -> dict[int, dict]:
    """Per-seed claims of a submission.json (empty when it gives none or is not an object)."""
    if not isinstance(data, dict):
        return {}
    out: dict[int, dict] = {}
    for key in ("seed_results", "seeds"):
        block = data.get(key)
        if isinstance(block, dict):
            for k, v in block.items():
                seed = _seed_key(k)
                if seed is not None and isinstance(v, dict):
                    out.setdefault(seed, {}).update({kk: vv for kk, vv in v.items() if kk not in out.get(seed, {})})
    seeds = data.get("seeds")
    scores = data.get("seed_scores")
    if isinstance(seeds, list) and isinstance(scores, list) and len(seeds) == len(scores):
        evals = data.get("eval_time_seconds")
        for i, (s, v) in enumerate(zip(seeds, scores)):
            seed = _seed_key(s)
            if seed is None or _num(v) is None:
                continue
            entry = out.setdefault(seed, {})
            entry.setdefault("val_bpb", v)
            if isinstance(evals, list) and len(evals) == len(seeds) and _num(evals[i]) is not None:
                entry.setdefault("eval_time_s", evals[i])
    return out


def declared_seeds(data: Any) -> list[int]:
    """Seeds the JSON declares (``seeds`` list or object keys, ``seed_results`` keys, ``seed``)."""
    if not isinstance(data, dict):
        return []
    seeds: list[int] = []
    raw = data.get("seeds")
    if isinstance(raw, list):
        seeds += [s for s in (_seed_key(x) for x in raw) if s is not None]
    elif isinstance(raw, dict):
        seeds += [s for s in (_seed_key(x) for x in raw) if s is not None]
    if isinstance(data.get("seed_results"), dict):
        seeds += [s for s in (_seed_key(x) for x in data["seed_results"]) if s is not None]
    if not seeds and _seed_key(data.get("seed")) is not None and not isinstance(data.get("seed"), bool):
        seeds.append(_seed_key(data.get("seed")))  # type: ignore[arg-type]
    return list(dict.fromkeys(seeds))


def rerun_per_seed(data: Any) -> dict[int, dict]:
    """Per-seed values of a ``compliance_rerun`` block (2026-04-29)."""
    if not isinstance(data, dict) or not isinstance(data.get("compliance_rerun"), dict):
        return {}
    return per_seed({"seed_results": data["compliance_rerun"].get("seed_results")})


def number(data: Any, *keys: str) -> float | None:
    if not isinstance(data, dict):
        return None
    for k in keys:
        v = _num(data.get(k))
        if v is not None:
            return v
    return None
