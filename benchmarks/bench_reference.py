"""Throughput of the reference MDLM and the MDLM-AR gap on the embedded corpus.

    python benchmarks/bench_reference.py                    # CPU: smoke config, checkpoints 300,1000
    python benchmarks/bench_reference.py --steps 300        # one checkpoint
    python benchmarks/bench_reference.py --device cuda      # GPU (bf16 autocast)

Trains the MDLM (NELBO, stratified t) and its same-size autoregressive twin (the same trunk with a
causal mask and next-token CE) on the same batches for the same steps, and prints at each checkpoint
the causal val bpb of both (l2r chain rule for the MDLM, next-token for the AR model), the MDLM's
ELBO (T=16), and training / evaluation tokens per second. Prints figures; asserts nothing.
Research reference (MDLM.md §4.3, 2 CPU threads): at 1000 steps MDLM l2r 2.12 vs AR 1.45 bpb.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from golfcheck.metric import build_luts, load_tokens, unigram_nats  # noqa: E402
from reference_model.data import TrainLoader, embedded_dataset, load_sentencepiece, load_validation  # noqa: E402
from reference_model.diffusion import ar_loss, nelbo_loss  # noqa: E402
from reference_model.evaluate import evaluate, window_bytes  # noqa: E402
from reference_model.model import DiffusionLM, ModelConfig, count_params  # noqa: E402
from reference_model.train import Hyperparameters, lr_scale  # noqa: E402


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def run(kind: str, checkpoints: list[int], data_dir: str, val, luts, device, args) -> None:
    torch.manual_seed(args.seed)
    cfg = ModelConfig(num_layers=args.layers, model_dim=args.dim, num_heads=args.heads, num_kv_heads=args.heads,
                      mlp_mult=3, causal=kind == "ar")
    model = DiffusionLM(cfg).to(device)
    lr = args.ar_lr if kind == "ar" else args.lr
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.95), weight_decay=0.0)
    hp = Hyperparameters(iterations=max(checkpoints), warmup_steps=20, min_lr_frac=0.1)
    loader = TrainLoader(os.path.join(data_dir, "fineweb_train_*.bin"))
    amp = dict(device_type=device.type, dtype=torch.bfloat16, enabled=device.type == "cuda")
    batch_tokens = args.batch * args.seq_len
    train_s, losses = 0.0, []
    print(f"[{kind}] params:{count_params(model)} lr:{lr} steps:{max(checkpoints)} batch_tokens:{batch_tokens}")
    for step in range(1, max(checkpoints) + 1):
        x = loader.next_batch(batch_tokens, args.seq_len, device)
        sync(device)
        t0 = time.perf_counter()
        for g in opt.param_groups:  # cosine over the longest run, so the 300-step point is mid-schedule
            g["lr"] = lr * lr_scale(step - 1, (step - 1) / max(checkpoints), hp)
        with torch.autocast(**amp):
            loss = ar_loss(model, x) if kind == "ar" else nelbo_loss(model, x)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        sync(device)
        train_s += time.perf_counter() - t0
        losses.append(loss.item())
        if step in checkpoints:
            mode = "ar" if kind == "ar" else "l2r"
            t0 = time.perf_counter()
            m = evaluate(model, val, luts, mode, batch_windows=8, device=device, autocast=device.type == "cuda")
            eval_s = time.perf_counter() - t0
            line = (f"[{kind}] step:{step} train_objective(last50):{sum(losses[-50:]) / len(losses[-50:]):.3f} "
                    f"causal_val_bpb:{m.bpb:.4f} train_tok/s:{step * batch_tokens / train_s:,.0f} "
                    f"eval_tok/s({mode}):{m.tokens / eval_s:,.0f}")
            if kind == "mdlm":
                t0 = time.perf_counter()
                e = evaluate(model, val, luts, "elbo", T=16, batch_windows=16, device=device,
                             autocast=device.type == "cuda")
                line += f" val_elbo_bpb(T=16):{e.bpb:.4f} eval_tok/s(elbo16):{e.tokens / (time.perf_counter() - t0):,.0f}"
            print(line, flush=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--steps", default="300,1000", help="comma-separated checkpoints (default 300,1000)")
    p.add_argument("--device", default="auto")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--dim", type=int, default=128)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--seq-len", type=int, default=128)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--ar-lr", type=float, default=2e-3)
    p.add_argument("--only", choices=["mdlm", "ar"], default=None)
    args = p.parse_args()
    device = torch.device(("cuda" if torch.cuda.is_available() else "cpu") if args.device == "auto" else args.device)
    checkpoints = sorted(int(s) for s in args.steps.split(","))
    data_dir, tok = embedded_dataset()
    luts = build_luts(load_sentencepiece(tok), 1024)
    val = load_validation(os.path.join(data_dir, "fineweb_val_*.bin"), args.seq_len)
    targets = val[:, 1:].reshape(-1).numpy()
    nbytes = float(window_bytes(luts, val).sum())
    uni = unigram_nats(load_tokens(os.path.join(data_dir, "fineweb_train_*.bin")), targets, 1024)
    print(f"device:{device} torch:{torch.__version__} threads:{torch.get_num_threads()} "
          f"val_tokens:{targets.size} unigram_bpb(train-fitted):{uni / (math.log(2) * nbytes):.3f}")
    for kind in ("mdlm", "ar"):
        if args.only in (None, kind):
            run(kind, checkpoints, data_dir, val, luts, device, args)


if __name__ == "__main__":
    main()
