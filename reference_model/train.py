"""Train an MDLM, export the artifact, and score the de-quantised artifact read back from disk.

    python -m reference_model.train                       # CPU default: embedded corpus, 2L d128
    SEED=1 ITERATIONS=1000 python -m reference_model.train
    torchrun --nproc_per_node=8 -m reference_model.train  # DDP (NUM_LAYERS=9 MODEL_DIM=512 ... for GPU)

Settings come from environment variables, as in the challenge's train_gpt.py. The official score is
the left-to-right chain rule (``final_*_roundtrip_exact``): causal, normalised, each target once,
over the whole validation split unless VAL_MAX_TOKENS declares a subset. The discrete-T ELBO
(``val_elbo_bpb``) and the training NELBO (``train_nelbo``) are printed as diagnostics.
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
from .diffusion import ar_loss, nelbo_loss
from .evaluate import causality_selftest, evaluate
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
    max_wallclock_seconds: float = 600.0  # training stops at this cap (eval is not counted)
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
    objective: str = "mdlm"  # mdlm | ar (the same-size autoregressive baseline)
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
    eval_seq_len: int = 0  # 0 = train_seq_len
    eval_block: int = 4  # k targets per pass of the causal evaluation (1 = exact chain rule, L/k x cheaper)
    eval_batch_windows: int = 8
    eval_rows: int = 256  # input rows per forward pass of the causal evaluation
    elbo_t: int = 16  # steps of the diagnostic discrete ELBO; 0 skips it
    val_max_tokens: int = 0  # 0 = the whole validation split; otherwise a declared prefix subset
    # artifact
    quant_bits: int = 8  # 8 | 6
    compressor: str = "zlib"  # zlib | zstd (level 22)
    quant_scale_floor: bool = True  # the reference's max(clip/qmax, 1/qmax)
    artifact_dir: str = "."
    compile: bool = False  # torch.compile the training forward (CUDA)
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


def lr_scale(step: int, progress: float, args: Hyperparameters) -> float:
    """Linear warmup over warmup_steps, then cosine from 1 to min_lr_frac over training progress
    (steps or wallclock, whichever is further along, so a capped run still anneals)."""
    if step < args.warmup_steps:
        return (step + 1) / args.warmup_steps
    p = min(max(progress, 0.0), 1.0)
    return args.min_lr_frac + (1 - args.min_lr_frac) * 0.5 * (1 + math.cos(math.pi * p))


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
    if distributed:
        dist.init_process_group(backend="nccl" if use_cuda else "gloo")
    torch.manual_seed(args.seed + rank)

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
    eval_len = args.eval_seq_len or args.train_seq_len
    val_pattern = os.path.join(data_dir, "fineweb_val_*.bin")
    val = load_validation(val_pattern, eval_len)
    shown = val_pattern if args.data_path else f"embedded:{os.path.basename(data_dir)}/fineweb_val_*.bin"
    log0(f"val_loader:shards pattern={shown} tokens:{val.size(0) * eval_len}", rank)
    if args.val_max_tokens > 0:
        val = val[: max(1, args.val_max_tokens // eval_len)]
        log0(f"val_subset: first {val.size(0) * eval_len} target tokens (VAL_MAX_TOKENS; not the full split)",
             rank)
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
    features = torch.compile(model.features, dynamic=False) if args.compile and use_cuda else None
    train_model = Objective(model, args, features)
    if distributed:
        train_model = DistributedDataParallel(train_model, device_ids=[local_rank] if use_cuda else None)
    autocast = use_cuda
    amp = dict(device_type=device.type, dtype=torch.bfloat16, enabled=autocast)
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
    eval_kw = dict(block=args.eval_block, T=args.elbo_t, eps=args.noise_eps, seed=args.seed,
                   batch_windows=args.eval_batch_windows, rows_per_pass=args.eval_rows, device=device,
                   autocast=autocast, rank=rank, world_size=world_size)
    score_mode = "ar" if args.objective == "ar" else "l2r"

    # training
    train_ms, step, losses = 0.0, 0, []
    stop_early = False
    for step in range(args.iterations + 1):
        last = step == args.iterations or stop_early
        periodic = args.val_loss_every > 0 and step > 0 and step % args.val_loss_every == 0
        if (last and args.prequant_eval) or (periodic and not last):
            m = evaluate(model, val, luts, score_mode, **eval_kw)
            log0(f"step:{step}/{args.iterations} val_loss:{m.loss:.4f} val_bpb:{m.bpb:.4f} "
                 f"train_time:{train_ms:.0f}ms step_avg:{train_ms / max(step, 1):.2f}ms", rank)
        if last:
            break
        if use_cuda:
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        progress = max(step / args.iterations, train_ms / 1000.0 / args.max_wallclock_seconds)
        for opt in opts:
            for group in opt.param_groups:
                group["lr"] = group["base_lr"] * lr_scale(step, progress, args)
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
        cap = torch.tensor(float(train_ms >= 1000.0 * args.max_wallclock_seconds), device=device)
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
             f"train_tokens:{len(losses) * args.train_batch_tokens}", rank)
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
    t0 = time.perf_counter()
    m = evaluate(model, val, luts, score_mode, **eval_kw)
    eval_ms = 1000.0 * (time.perf_counter() - t0)
    label = f"final_int{args.quant_bits}_{scheme.split('+')[1]}_roundtrip"
    log0(f"{label} val_loss:{m.loss:.4f} val_bpb:{m.bpb:.4f} eval_time:{eval_ms:.0f}ms "
         f"eval_mode:{score_mode}{'' if score_mode == 'ar' else f' eval_block:{args.eval_block}'} "
         f"seq_len:{eval_len} tokens:{m.tokens:.0f} bytes:{m.bytes:.0f}", rank)
    log0(f"{label}_exact val_loss:{m.loss:.8f} val_bpb:{m.bpb:.8f}", rank)
    if args.objective == "mdlm":
        ok = causality_selftest(model, val[0].to(device), cut=eval_len // 2 + 1, block=args.eval_block,
                                rows_per_pass=args.eval_rows)
        log0(f"causality_selftest:{'pass' if ok else 'FAIL'} (changing x_t.. leaves scores before t unchanged)",
             rank)
        if args.elbo_t > 0:
            e = evaluate(model, val, luts, "elbo", **eval_kw)
            log0(f"roundtrip val_elbo T:{args.elbo_t} val_elbo_loss:{e.loss:.4f} val_elbo_bpb:{e.bpb:.4f} "
                 f"(diagnostic)", rank)
    if distributed:
        dist.destroy_process_group()
    return 3 if rank == 0 and total_bytes > SIZE_LIMIT else 0


if __name__ == "__main__":
    sys.exit(main())
