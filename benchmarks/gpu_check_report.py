"""Summarise the trainer logs written by benchmarks/gpu_check.sh (one log per objective).

    python benchmarks/gpu_check_report.py LOG...

Training tokens/s is the steps that ran times TRAIN_BATCH_TOKENS over the training time of the line
that ends training: the ``stopping_early`` line of a capped run, else the last step line. (Dividing
all tokens by the last *logged* step's time overstates the rate when the cap falls between log lines.)
The evaluation figures are the trainer's own ``eval_budget`` projection: seconds per window measured
on this device, times the windows of the projected split divided over EVAL_PLAN_WORLD_SIZE ranks.
"""

from __future__ import annotations

import re
import sys

STOP = re.compile(r"^stopping_early: wallclock_cap train_time:(?P<ms>\d+)ms step:(?P<step>\d+)/\d+", re.M)
STEP = re.compile(r"^step:(?P<step>\d+)/\d+ train_loss:\S+ train_time:(?P<ms>\d+)ms", re.M)
ECHO = re.compile(r"^  (?P<key>\w+): (?P<value>.*)$", re.M)
BUDGET = re.compile(r"^eval_budget: (?P<body>.*)$", re.M)
FINAL = re.compile(r"^final_\w+_roundtrip val_loss:(?P<loss>[\d.]+) val_bpb:(?P<bpb>[\d.]+) eval_time:(?P<ms>\d+)ms",
                   re.M)
SELFTEST = re.compile(r"^causality_selftest:(?P<verdict>\w+)", re.M)
PARAMS = re.compile(r"^model_params:(?P<n>\d+)", re.M)
DEVICE = re.compile(r"^device:(?P<device>.*)$", re.M)
PEAK_TFLOPS = {"H100": 989e12, "H200": 989e12, "A100": 312e12}  # dense bf16


def training_rate(log: str, batch_tokens: int) -> dict | None:
    """Steps, train ms, tokens and tokens/s of the run, from the line that ends training."""
    stops = list(STOP.finditer(log))
    steps = list(STEP.finditer(log))
    end = stops[-1] if stops else (steps[-1] if steps else None)
    if end is None:
        return None
    step, ms = int(end["step"]), int(end["ms"])
    return {"steps": step, "train_ms": ms, "tokens": step * batch_tokens,
            "tokens_per_s": step * batch_tokens / (ms / 1000.0) if ms else float("nan"),
            "capped": bool(stops)}


def parse_budget(body: str) -> dict:
    """The key:value fields of an ``eval_budget:`` line (numbers as floats where they parse)."""
    out: dict = {}
    for key, value in re.findall(r"(\w+):(\S+)", body):
        try:
            out[key] = float(value)
        except ValueError:
            out[key] = value
    return out


def parse_log(log: str) -> dict:
    echo = {m["key"]: m["value"] for m in ECHO.finditer(log)}
    batch = int(echo.get("train_batch_tokens", "0") or 0)
    budget = BUDGET.findall(log)
    final = FINAL.findall(log)
    selftest = SELFTEST.findall(log)
    params = PARAMS.findall(log)
    device = DEVICE.findall(log)
    return {
        "objective": echo.get("objective"),
        "block_size": echo.get("block_size"),
        "device": device[-1] if device else None,
        "params": int(params[-1]) if params else None,
        "num_layers": int(echo.get("num_layers", "0") or 0),
        "model_dim": int(echo.get("model_dim", "0") or 0),
        "seq_len": int(echo.get("train_seq_len", "0") or 0),
        "train": training_rate(log, batch),
        "budget": parse_budget(budget[-1]) if budget else None,
        "final": {"loss": float(final[-1][0]), "bpb": float(final[-1][1]), "eval_ms": int(final[-1][2])} if final else None,
        "selftest": selftest[-1] if selftest else None,
        "refused": "error: eval_budget:" in log,
    }


def mfu(r: dict) -> float | None:
    """Model FLOPs utilisation of training: 6 x matmul params + 12 x layers x d x context per processed
    token (block diffusion processes two copies, so twice the tokens at twice the context)."""
    peak = next((v for k, v in PEAK_TFLOPS.items() if r["device"] and k in r["device"]), None)
    if not (peak and r["train"] and r["params"] and r["model_dim"]):
        return None
    d, layers, L = r["model_dim"], r["num_layers"], r["seq_len"]
    copies = 2 if r["objective"] == "bd3" else 1
    matmul = r["params"] - 1025 * d + 1024 * d  # embedding lookups are not matmuls; the head is
    flops = copies * (6 * matmul + 12 * layers * d * L * copies)
    return r["train"]["tokens_per_s"] * flops / peak


def report(paths: list[str]) -> int:
    ok = True
    for path in paths:
        with open(path, encoding="utf-8", errors="replace") as f:
            r = parse_log(f.read())
        name = r["objective"] or path
        if r["block_size"] and r["objective"] == "bd3":
            name += f" (B={r['block_size']})"
        if r["train"] is None:
            print(f"gpu_check: {name}: FAILED (no training lines; see {path})")
            ok = False
            continue
        t, b, fin = r["train"], r["budget"], r["final"]
        u = mfu(r)
        print(f"gpu_check: {name}: train {t['steps']} steps in {t['train_ms'] / 1000:.1f} s"
              f"{' (capped)' if t['capped'] else ''}: {t['tokens_per_s']:,.0f} target tokens/s"
              + (f", MFU {100 * u:.1f}%" if u is not None else ""))
        if b:
            print(f"gpu_check: {name}: legal eval {b.get('mode')} window {b.get('seq_len', 0):.0f}: "
                  f"{b.get('seconds_per_window', 0) * 1000:.2f} ms/window, projected "
                  f"{b.get('projected_eval_seconds', 0):.0f} s for {b.get('windows', 0):.0f} windows on "
                  f"{b.get('world_size', 0):.0f} rank(s) ({b.get('scope')}), budget {b.get('max_eval_seconds', 0):.0f} s: "
                  f"{'fits' if b.get('fits') == 'yes' else 'DOES NOT FIT'}; tried {b.get('tried')}")
        if r["refused"]:
            print(f"gpu_check: {name}: the trainer refused the evaluation (over budget)")
        elif fin:
            print(f"gpu_check: {name}: scored val_bpb {fin['bpb']:.4f} in {fin['eval_ms'] / 1000:.1f} s "
                  f"(this run's split); causality self-test {r['selftest']}")
        else:
            print(f"gpu_check: {name}: no final score (see {path})")
            ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(report(sys.argv[1:]))
