"""What submission.json claims, normalised (§2.2): ``{seed: {"val_bpb": ..., ...}}``.

Three shapes occur: ``seed_results{"42": {...}}``, ``seeds{"42": {...}}`` (object form) and the
parallel arrays ``seeds: [..]`` + ``seed_scores: [..]`` (or ``val_bpb_exact: [..]``, ...,
+ ``eval_time_seconds: [..]``), at the top level or inside a ``results`` object.
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


# Blocks that hold the per-seed claims: the top level, or a nested ``results`` / ``validation``
# object (PR #779 nests ``results.seeds``).
CONTAINERS = ("results", "validation")
# Lists parallel to ``seeds: [..]`` that hold per-seed val_bpb values, in order of preference
# (``seed_scores`` in merged records; the others in submission PRs, e.g. PR #1376's val_bpb_exact).
BPB_LISTS = ("seed_scores", "val_bpb_exact", "val_bpb_seeds", "seed_bpbs", "val_bpbs", "val_bpb_runs",
             "per_seed_val_bpb", "val_bpb")
FROM = "_from"  # where a claim came from (``seed_results``, ``val_bpb_exact[0]``): reported, never compared


def _blocks(data: dict) -> list[tuple[str, dict]]:
    out = [("", data)]
    for key in CONTAINERS:
        if isinstance(data.get(key), dict):
            out.append((key + ".", data[key]))
    return out


def per_seed(data: Any) -> dict[int, dict]:
    """Per-seed claims of a submission.json (empty when it gives none or is not an object).

    Each claim is a copy of the JSON's per-seed object with ``_from`` naming where it came from."""
    if not isinstance(data, dict):
        return {}
    out: dict[int, dict] = {}
    for prefix, block in _blocks(data):
        for key in ("seed_results", "seeds"):
            sub = block.get(key)
            if isinstance(sub, dict):
                for k, v in sub.items():
                    seed = _seed_key(k)
                    if seed is not None and isinstance(v, dict):
                        entry = out.setdefault(seed, {FROM: f"{prefix}{key}"})
                        entry.update({kk: vv for kk, vv in v.items() if kk not in entry})
        seeds = block.get("seeds")
        if not isinstance(seeds, list):
            continue
        name, scores = next(((n, block[n]) for n in BPB_LISTS if isinstance(block.get(n), list)
                             and len(block[n]) == len(seeds) and all(_num(v) is not None for v in block[n])),
                            (None, None))
        if scores is None:
            continue
        evals = block.get("eval_time_seconds")
        for i, (s, v) in enumerate(zip(seeds, scores)):
            seed = _seed_key(s)
            if seed is None or _num(v) is None:
                continue
            entry = out.setdefault(seed, {FROM: f"{prefix}{name}[{i}]"})
            entry.setdefault("val_bpb", v)
            if isinstance(evals, list) and len(evals) == len(seeds) and _num(evals[i]) is not None:
                entry.setdefault("eval_time_s", evals[i])
    return out


def headline(data: Any) -> tuple[float | None, str | None]:
    """The headline val_bpb and its key: ``val_bpb``, else a mean under another name (top level or
    in ``results``)."""
    if not isinstance(data, dict):
        return None, None
    for prefix, block in _blocks(data):
        for key in ("val_bpb", "mean_val_bpb", "val_bpb_mean", "mean_bpb"):
            v = _num(block.get(key))
            if v is not None:
                return v, prefix + key
    return None, None


def declared_seeds(data: Any) -> list[int]:
    """Seeds the JSON declares (``seeds`` list or object keys, ``seed_results`` keys, ``seed``)."""
    if not isinstance(data, dict):
        return []
    seeds: list[int] = []
    nested = next((b for _, b in _blocks(data)[1:] if "seeds" in b or "seed_results" in b), None)
    if "seeds" not in data and "seed_results" not in data and nested is not None:
        data = nested
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
