"""Train an MDLM (or a block-diffusion model, or the same-size AR twin), export the artifact, and
score the de-quantised artifact read back from disk.

    python -m reference_model.train                       # CPU default: embedded corpus, 2L d128, MDLM
    OBJECTIVE=bd3 BLOCK_SIZE=4 python -m reference_model.train   # block diffusion, blocks of 4 targets
    SEED=1 ITERATIONS=1000 python -m reference_model.train
    torchrun --nproc_per_node=8 -m reference_model.train  # DDP (NUM_LAYERS=9 MODEL_DIM=512 ... for GPU)

Settings come from environment variables, as in the challenge's train_gpt.py. The official score is
the exact chain rule (``final_*_roundtrip_exact``): each target predicted from all earlier tokens of
its window, a normalised distribution, each target once, over the whole validation split unless
VAL_MAX_TOKENS declares a subset. Before training, the evaluation is timed on a few windows and its
time over the split projected (``eval_budget:``); with EVAL_SEQ_LEN=0 the longest window up to
TRAIN_SEQ_LEN that fits MAX_EVAL_SECONDS is used, and a set EVAL_SEQ_LEN that does not fit is refused
(exit 2). The discrete-T ELBO (``val_elbo_bpb``) and the training NELBO (``train_nelbo``) are printed
as diagnostics.
"""

from __future__ import annotations

import math
import os
import sys
import time
from dataclasses import dataclass, field, fields

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from golfcheck.metric import build_luts
from .data import TrainLoader, load_sentencepiece, load_validation, resolve_data
from .bd3 import bd3_loss
from .diffusion import ar_loss, nelbo_loss
from .evaluate import (causal_nats, causality_selftest, evaluate, plan_eval, seconds_per_window,
                       selftest_cuts, window_candidates)
from .model import DiffusionLM, ModelConfig, count_params
from .optim import build_optimizers
from .quant import SIZE_LIMIT, deserialize, scheme_name, serialize


def _env(name: str, default):
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if isinstance(default, bool):
        return raw.strip().lower() not in ("0", "false", "no", "off")
    return type(default)(raw)


@dataclass
class Hyperparameters:
    # data
    data_path: str = ""  # folder with fineweb_{train,val}_*.bin; empty = the embedded corpus
    tokenizer_path: str = ""  # SentencePiece .model; empty = the embedded tokenizer
    vocab_size: int = 1024
    seed: int = 1337
    # training (CPU-sized defaults; see benchmarks/gpu_check.sh for the GPU configuration)
    iterations: int = 300
    max_wallclock_seconds: float = 600.0  # training stops at this cap (eval is not counted); 0 = no cap
    train_batch_tokens: int = 4096  # per optimiser step, over all ranks and accumulation steps
    train_seq_len: int = 128
    grad_accum_steps: int = 1
    train_log_every: int = 50
    val_loss_every: int = 0  # 0 = no periodic validation
    prequant_eval: bool = False  # also score the pre-quantisation model at the end (costs one more eval)
    # model
    num_layers: int = 2
    model_dim: int = 128
    num_heads: int = 4
    num_kv_heads: int = 4
    mlp_mult: int = 3
    tie_embeddings: bool = False
    time_cond: bool = False
    logit_softcap: float = 30.0
    objective: str = "mdlm"  # mdlm | bd3 (block diffusion) | ar (the same-size autoregressive baseline)
    block_size: int = 4  # bd3: targets per diffusion block (1 = autoregressive, TRAIN_SEQ_LEN = MDLM-like)
    block_masks: str = "count"  # bd3: count (m ~ U{1..B} masks per block, weight B/m) | time (t per block, 1/t)
    # optimiser
    optimizer: str = "adamw"  # adamw | muon
    lr: float = 2e-3  # AdamW lr (all params, or embeddings/head/vectors under muon)
    matrix_lr: float = 0.02  # Muon lr for the blocks' matrices
    beta1: float = 0.9
    beta2: float = 0.95
    weight_decay: float = 0.0
    grad_clip: float = 1.0
    warmup_steps: int = 20  # linear lr warmup, then cosine to min_lr_frac
    min_lr_frac: float = 0.1
    # diffusion
    noise_eps: float = 1e-3
    t_sampling: str = "stratified"  # stratified | shifted | antithetic
    t_min: float = 1e-3
    loss_weight_clamp: float = 0.0  # 0 = exact 1/t weight (eval never clamps)
    # evaluation
    eval_seq_len: int = 0  # 0 = the longest of TRAIN_SEQ_LEN, /2, /4, ... (>= 16) that fits MAX_EVAL_SECONDS
    max_eval_seconds: float = 600.0  # budget of the official evaluation (projected before training); 0 = none
    eval_plan_tokens: int = 0  # project the budget for this many val tokens (0 = the scored split)
    eval_plan_world_size: int = 0  # ... on this many ranks (0 = this run's world size)
    eval_block: int = 1  # mdlm: k targets per pass of the chain rule (1 = exact; k > 1 is legal, k x cheaper, worse)
    eval_batch_windows: int = 8
    eval_rows: int = 256  # input rows per forward pass of the causal evaluation
    elbo_t: int = 16  # steps of the diagnostic discrete ELBO; 0 skips it
    val_max_tokens: int = 0  # 0 = the whole validation split; otherwise a declared prefix subset
    # artifact
    quant_bits: int = 8  # 8 | 6
    compressor: str = "zlib"  # zlib | zstd (level 22)
    quant_scale_floor: bool = True  # the reference's max(clip/qmax, 1/qmax)
    artifact_dir: str = "."
    compile: bool = False  # torch.compile the trunk for training and evaluation
    # 1 on CPU: this small model gains little from a second thread, and threads that outnumber free cores
    # (a shared machine) slow every step by 10x or more. 0 = torch's default.
    cpu_threads: int = 1
    run_id: str = field(default_factory=lambda: time.strftime("%Y%m%d-%H%M%S"))

    @classmethod
    def from_env(cls) -> "Hyperparameters":
        return cls(**{f.name: _env(f.name.upper(), getattr(cls(), f.name)) for f in fields(cls)})


class Objective(torch.nn.Module):
    """The training loss as a module, so DistributedDataParallel sees one forward per micro-batch."""

    def __init__(self, model: DiffusionLM, args: Hyperparameters, features=None):
        super().__init__()
        self.model, self.args, self.features = model, args, features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = self.args
        if a.objective == "ar":
            return ar_loss(self.model, x, self.features)
        if a.objective == "bd3":
            return bd3_loss(self.model, x, a.block_size, a.block_masks, a.noise_eps, a.t_min, self.features)
        return nelbo_loss(self.model, x, a.noise_eps, a.t_sampling, a.t_min, a.loss_weight_clamp, self.features)


def log0(msg: str, rank: int) -> None:
    if rank == 0:
        print(msg, flush=True)


def code_bytes() -> tuple[int, str]:
    """UTF-8 bytes of the counted code: this very file when packed (train_gpt.py), else the single
    file ``golfcheck pack`` would build from this package (the file a competitor submits)."""
    if not __package__:
        with open(__file__, "rb") as f:
            return len(f.read()), os.path.basename(__file__)
    from golfcheck.pack import pack_source

    return len(pack_source().encode("utf-8")), "packed train_gpt.py"


def training_progress(step: int, train_ms: float, args: Hyperparameters) -> float:
    """Steps or wallclock, whichever is further along (MAX_WALLCLOCK_SECONDS=0: steps only)."""
    by_time = train_ms / 1000.0 / args.max_wallclock_seconds if args.max_wallclock_seconds > 0 else 0.0
    return max(step / args.iterations, by_time)


def eval_mode(args: Hyperparameters) -> tuple[str, int]:
    """The legal scorer of an objective and its block: (l2r, k), (bd3, B) or (ar, 1)."""
    if args.objective not in ("mdlm", "bd3", "ar"):
        raise SystemExit(f"unknown OBJECTIVE={args.objective!r} (mdlm, bd3 or ar)")
    return {"mdlm": ("l2r", args.eval_block), "bd3": ("bd3", args.block_size), "ar": ("ar", 1)}[args.objective]


def lr_scale(step: int, progress: float, args: Hyperparameters) -> float:
    """Linear warmup over warmup_steps, then cosine from 1 to min_lr_frac over training progress
    (steps or wallclock, whichever is further along, so a capped run still anneals)."""
    if step < args.warmup_steps:
        return (step + 1) / args.warmup_steps
    p = min(max(progress, 0.0), 1.0)
    return args.min_lr_frac + (1 - args.min_lr_frac) * 0.5 * (1 + math.cos(math.pi * p))


def plan_evaluation(args: Hyperparameters, model, val_pattern: str, device, autocast: bool, features,
                    features_kv, world_size: int, distributed: bool):
    """Time the legal evaluation on a few windows at each candidate length (longest first) and
    project the whole split; see evaluate.plan_eval. Returns (plan, windows_at)."""
    mode, block = eval_mode(args)

    def windows_at(L: int) -> torch.Tensor:
        w = load_validation(val_pattern, L)
        return w[: max(1, args.val_max_tokens // L)] if args.val_max_tokens > 0 else w

    def n_windows(L: int) -> int:
        return math.ceil(args.eval_plan_tokens / L) if args.eval_plan_tokens > 0 else windows_at(L).size(0)

    def score(x: torch.Tensor) -> None:
        with torch.no_grad(), torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=autocast):
            causal_nats(model, x.to(device), mode, block, args.eval_rows, features, features_kv)

    def measure(L: int) -> float:
        sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
        spw = seconds_per_window(score, windows_at(L), args.eval_batch_windows, sync=sync)
        if distributed:  # every rank plans from the slowest rank's speed, so all choose the same window
            t = torch.tensor(spw, dtype=torch.float64, device=device)
            dist.all_reduce(t, op=dist.ReduceOp.MAX)
            spw = float(t)
        return spw

    was_training = model.training
    model.eval()
    plan = plan_eval(window_candidates(args.eval_seq_len, args.train_seq_len), measure, n_windows,
                     args.eval_plan_world_size or world_size, args.max_eval_seconds)
    model.train(was_training)
    return plan, windows_at


def main() -> int:
    args = Hyperparameters.from_env()
    distributed = "RANK" in os.environ and "WORLD_SIZE" in os.environ
    rank, world_size = (int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])) if distributed else (0, 1)
    local_rank = int(os.environ.get("LOCAL_RANK", 0))
    use_cuda = torch.cuda.is_available()
    device = torch.device("cuda", local_rank) if use_cuda else torch.device("cpu")
    if use_cuda:
        torch.cuda.set_device(device)
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    elif args.cpu_threads > 0:
        torch.set_num_threads(args.cpu_threads)
    if distributed:
        dist.init_process_group(backend="nccl" if use_cuda else "gloo")
    torch.manual_seed(args.seed + rank)
    mode, block = eval_mode(args)

    for f in fields(args):
        log0(f"  {f.name}: {getattr(args, f.name)}", rank)
    log0(f"seed:{args.seed}", rank)
    log0(f"world_size:{world_size} grad_accum_steps:{args.grad_accum_steps}", rank)
    log0(f"device:{device.type}{' ' + torch.cuda.get_device_name(device) if use_cuda else ''} "
         f"torch:{torch.__version__}", rank)

    # data: rank 0 builds the embedded corpus (if needed) before the others read it
    if rank == 0:
        data_dir, tok_path = resolve_data(args.data_path, args.tokenizer_path)
    if distributed:
        dist.barrier()
    if rank != 0:
        data_dir, tok_path = resolve_data(args.data_path, args.tokenizer_path)
    sp = load_sentencepiece(tok_path)
    if sp.vocab_size() > args.vocab_size:
        raise SystemExit(f"tokenizer has {sp.vocab_size()} pieces but VOCAB_SIZE={args.vocab_size}")
    luts = build_luts(sp, args.vocab_size)
    val_pattern = os.path.join(data_dir, "fineweb_val_*.bin")
    train_loader = TrainLoader(os.path.join(data_dir, "fineweb_train_*.bin"), rank, world_size)

    # model and optimisers
    cfg = ModelConfig(vocab_size=args.vocab_size, num_layers=args.num_layers, model_dim=args.model_dim,
                      num_heads=args.num_heads, num_kv_heads=args.num_kv_heads, mlp_mult=args.mlp_mult,
                      tie_embeddings=args.tie_embeddings, time_cond=args.time_cond,
                      logit_softcap=args.logit_softcap, causal=args.objective == "ar")
    model = DiffusionLM(cfg).to(device)
    log0(f"model_params:{count_params(model)}", rank)
    opts = build_optimizers(model, args.optimizer, args.lr, args.matrix_lr, (args.beta1, args.beta2),
                            args.weight_decay)
    features = features_kv = None
    if args.compile:
        torch._dynamo.config.cache_size_limit = 64  # train, eval and the budget's candidate shapes
        features = torch.compile(model.features, dynamic=False)
        features_kv = torch.compile(model.features_kv, dynamic=False)
    train_model = Objective(model, args, features)
    if distributed:
        train_model = DistributedDataParallel(train_model, device_ids=[local_rank] if use_cuda else None)
    autocast = use_cuda
    amp = dict(device_type=device.type, dtype=torch.bfloat16, enabled=autocast)

    # the evaluation's budget, measured before training (the weights do not change its speed)
    plan, windows_at = plan_evaluation(args, model, val_pattern, device, autocast, features, features_kv,
                                       world_size, distributed)
    eval_len = plan.seq_len
    scope = f"plan_tokens:{args.eval_plan_tokens}" if args.eval_plan_tokens > 0 else (
        "subset" if args.val_max_tokens > 0 else "split")
    log0(f"eval_budget: mode:{mode} block:{block} seq_len:{eval_len} windows:{plan.windows} "
         f"world_size:{args.eval_plan_world_size or world_size} seconds_per_window:{plan.seconds_per_window:.6f} "
         f"projected_eval_seconds:{plan.projected_seconds:.1f} max_eval_seconds:{args.max_eval_seconds:.0f} "
         f"scope:{scope} fits:{'yes' if plan.fits else 'no'} "
         f"tried:{','.join(f'{L}={p:.1f}s' for L, p in plan.tried)}", rank)
    if not plan.fits:
        if rank == 0:
            setting = (f"set a shorter EVAL_SEQ_LEN than {eval_len} (0 picks the longest that fits)"
                       if args.eval_seq_len > 0 else f"no window down to {eval_len} fits")
            print(f"error: eval_budget: the {mode} evaluation projects {plan.projected_seconds:.0f} s > "
                  f"MAX_EVAL_SECONDS={args.max_eval_seconds:.0f}; {setting}; or raise MAX_EVAL_SECONDS, "
                  f"use OBJECTIVE=bd3, or add ranks", file=sys.stderr, flush=True)
        if distributed:
            dist.destroy_process_group()
        return 2
    val = windows_at(eval_len)
    shown = val_pattern if args.data_path else f"embedded:{os.path.basename(data_dir)}/fineweb_val_*.bin"
    log0(f"val_loader:shards pattern={shown} tokens:{load_validation(val_pattern, eval_len).size(0) * eval_len}",
         rank)
    if args.val_max_tokens > 0:
        log0(f"val_subset: first {val.size(0) * eval_len} target tokens (VAL_MAX_TOKENS; not the full split)",
             rank)

    if features is not None:
        # compile outside the timed region: one forward/backward on a batch of the training shape whose
        # gradients are thrown away (weights and optimiser state untouched)
        with torch.autocast(**amp):
            train_model(TrainLoader(os.path.join(data_dir, "fineweb_train_*.bin"), rank, world_size).next_batch(
                args.train_batch_tokens // (world_size * args.grad_accum_steps), args.train_seq_len, device)
            ).backward()
        for p in model.parameters():
            p.grad = None
    micro_tokens = args.train_batch_tokens // (world_size * args.grad_accum_steps)
    eval_kw = dict(block=block, T=args.elbo_t, eps=args.noise_eps, seed=args.seed,
                   batch_windows=args.eval_batch_windows, rows_per_pass=args.eval_rows, device=device,
                   autocast=autocast, rank=rank, world_size=world_size, features=features, features_kv=features_kv)

    # training
    train_ms, step, losses = 0.0, 0, []
    stop_early = False
    for step in range(args.iterations + 1):
        last = step == args.iterations or stop_early
        periodic = args.val_loss_every > 0 and step > 0 and step % args.val_loss_every == 0
        if (last and args.prequant_eval) or (periodic and not last):
            m = evaluate(model, val, luts, mode, **eval_kw)
            log0(f"step:{step}/{args.iterations} val_loss:{m.loss:.4f} val_bpb:{m.bpb:.4f} "
                 f"train_time:{train_ms:.0f}ms step_avg:{train_ms / max(step, 1):.2f}ms", rank)
        if last:
            break
        if use_cuda:
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        for opt in opts:
            for group in opt.param_groups:
                group["lr"] = group["base_lr"] * lr_scale(step, training_progress(step, train_ms, args), args)
        total = 0.0
        for micro in range(args.grad_accum_steps):
            x = train_loader.next_batch(micro_tokens, args.train_seq_len, device)
            sync = micro == args.grad_accum_steps - 1 or not distributed
            ctx = train_model.no_sync() if not sync else torch.enable_grad()
            with ctx, torch.autocast(**amp):
                loss = train_model(x) / args.grad_accum_steps
            loss.backward()
            total += float(loss.detach())
        if args.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), args.grad_clip)
        for opt in opts:
            opt.step()
        for opt in opts:
            opt.zero_grad(set_to_none=True)
        if use_cuda:
            torch.cuda.synchronize()
        train_ms += 1000.0 * (time.perf_counter() - t0)
        losses.append(total)
        if step < 5 or (step + 1) % args.train_log_every == 0 or step + 1 == args.iterations:
            log0(f"step:{step + 1}/{args.iterations} train_loss:{total:.4f} train_time:{train_ms:.0f}ms "
                 f"step_avg:{train_ms / (step + 1):.2f}ms", rank)
        capped = args.max_wallclock_seconds > 0 and train_ms >= 1000.0 * args.max_wallclock_seconds
        cap = torch.tensor(float(capped), device=device)
        if distributed:
            dist.all_reduce(cap, op=dist.ReduceOp.MAX)  # every rank stops at the same step
        if cap.item() > 0 and step + 1 < args.iterations:
            log0(f"stopping_early: wallclock_cap train_time:{train_ms:.0f}ms step:{step + 1}/{args.iterations}",
                 rank)
            stop_early = True
    tail = losses[-50:]
    if tail:
        name = "train_ce" if args.objective == "ar" else "train_nelbo"
        log0(f"{name}:{sum(tail) / len(tail):.4f} nats/token (mean of last {len(tail)} steps) "
             f"train_tokens:{len(losses) * args.train_batch_tokens} "
             f"train_tokens_per_s:{len(losses) * args.train_batch_tokens / max(train_ms / 1000.0, 1e-9):.0f}", rank)
    if args.objective == "mdlm" and args.elbo_t > 0 and args.prequant_eval:
        m = evaluate(model, val, luts, "elbo", **eval_kw)
        log0(f"val_elbo T:{args.elbo_t} val_elbo_loss:{m.loss:.4f} val_elbo_bpb:{m.bpb:.4f} (diagnostic: "
             f"a bound, not causal)", rank)

    # artifact: quantise, compress, write, count
    scheme = scheme_name(args.quant_bits, args.compressor)
    ptz = os.path.join(args.artifact_dir, f"final_model.int{args.quant_bits}.ptz")
    if rank == 0:
        blob, stats = serialize(model.state_dict(), args.quant_bits, args.compressor, args.quant_scale_floor)
        with open(ptz, "wb") as f:
            f.write(blob)
        model_bytes = os.path.getsize(ptz)
        ncode, code_what = code_bytes()
        log0(f"Serialized model {scheme}: {model_bytes} bytes (payload:{stats['payload']} "
             f"raw_torch:{stats['raw_torch']} payload_ratio:{stats['baseline'] / stats['payload']:.2f}x)", rank)
        log0(f"Code size: {ncode} bytes", rank)
        log0(f"code_counted: {code_what}", rank)
        total_bytes = ncode + model_bytes
        log0(f"Total submission size {scheme}: {total_bytes} bytes", rank)
        if total_bytes > SIZE_LIMIT:
            log0(f"SUBMISSION_OVER_LIMIT: {total_bytes} > {SIZE_LIMIT} bytes: not a valid submission", rank)
    if distributed:
        dist.barrier()

    # the official score: the artifact read back from disk, de-quantised, loaded strictly
    with open(ptz, "rb") as f:
        model.load_state_dict(deserialize(f.read(), args.compressor), strict=True)
    if use_cuda:
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    m = evaluate(model, val, luts, mode, **eval_kw)
    eval_ms = 1000.0 * (time.perf_counter() - t0)
    label = f"final_int{args.quant_bits}_{scheme.split('+')[1]}_roundtrip"
    block_name = {"l2r": "eval_block", "bd3": "block_size"}.get(mode)
    log0(f"{label} val_loss:{m.loss:.4f} val_bpb:{m.bpb:.4f} eval_time:{eval_ms:.0f}ms "
         f"eval_mode:{mode}{f' {block_name}:{block}' if block_name else ''} "
         f"seq_len:{eval_len} tokens:{m.tokens:.0f} bytes:{m.bytes:.0f}", rank)
    log0(f"{label}_exact val_loss:{m.loss:.8f} val_bpb:{m.bpb:.8f}", rank)

    # diagnostics, after the score: is the scorer causal, and (MDLM) the ELBO bound
    model.eval()

    def score(x: torch.Tensor) -> torch.Tensor:
        with torch.autocast(**amp):
            return causal_nats(model, x, mode, block, args.eval_rows, features, features_kv)

    cuts = selftest_cuts(eval_len, block)
    future_ok, prefix_seen = causality_selftest(score, val[:2].to(device), cuts, args.vocab_size, args.seed)
    log0(f"causality_selftest:{'pass' if future_ok else 'FAIL'} windows:{min(2, val.size(0))} "
         f"cuts:{','.join(map(str, cuts))} (replacing x_c.. left the scores of targets before c "
         f"{'bit-identical' if future_ok else 'CHANGED'}; replacing x_0..x_c-1 "
         f"{'changed later scores' if prefix_seen else 'changed no later score: the model ignores its context'})",
         rank)
    if args.objective == "mdlm" and args.elbo_t > 0:
        e = evaluate(model, val, luts, "elbo", **eval_kw)
        log0(f"roundtrip val_elbo T:{args.elbo_t} val_elbo_loss:{e.loss:.4f} val_elbo_bpb:{e.bpb:.4f} "
             f"(diagnostic)", rank)
    if distributed:
        dist.destroy_process_group()
    return 3 if rank == 0 and total_bytes > SIZE_LIMIT else 0


if __name__ == "__main__":
    sys.exit(main())
