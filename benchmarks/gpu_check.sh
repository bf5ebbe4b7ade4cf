#!/usr/bin/env bash
# One-GPU readiness check of the reference model at the challenge's baseline shape (9 layers, d512,
# 8 heads / 4 KV, MLP 2x, tied embedding, seq 1024, bf16 autocast, torch.compile, Muon), one short
# trainer run per objective (AR, block diffusion B=4, MDLM), on the embedded corpus.
#
#   bash benchmarks/gpu_check.sh                    # on a GPU: about 7 minutes (3 runs, at most 140 s each)
#   GPU_CHECK_TINY=1 bash benchmarks/gpu_check.sh   # CPU smoke test of this script (2L d128, seq 64)
#
# For each objective it prints training tokens/s (steps x batch tokens over the time at the stop line)
# and the legal evaluation's projected time on the full FineWeb validation split (62,021,632 tokens)
# over 8 ranks: the trainer times a few windows on this one device (EVAL_PLAN_TOKENS,
# EVAL_PLAN_WORLD_SIZE), so the 8-GPU figure is a projection, not a measured 8-GPU run. For the MDLM
# the trainer picks the longest window that fits MAX_EVAL_SECONDS, as it would on FineWeb. The scored
# bpb is on the embedded corpus after a few seconds of training: a smoke signal, not a result.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
export GOLFCHECK_CACHE="${GOLFCHECK_CACHE:-${TMPDIR:-/tmp}/golfcheck-cache}"
OUT="${GPU_CHECK_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/gpu_check.XXXXXX")}"
mkdir -p "$OUT"

if [ "${GPU_CHECK_TINY:-0}" = "1" ]; then
  SHAPE="NUM_LAYERS=2 MODEL_DIM=128 NUM_HEADS=4 NUM_KV_HEADS=4 MLP_MULT=2 TRAIN_SEQ_LEN=64 TRAIN_BATCH_TOKENS=2048
         OPTIMIZER=muon EVAL_BATCH_WINDOWS=4 EVAL_ROWS=256 ELBO_T=2"
  TRAIN_SECONDS="${TRAIN_SECONDS:-3}"
  PLAN="EVAL_PLAN_TOKENS=0 EVAL_PLAN_WORLD_SIZE=0"  # project the embedded split on this machine
  PER_RUN="${PER_RUN_SECONDS:-240}"
else
  python -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 'gpu_check: no CUDA device (GPU_CHECK_TINY=1 runs the CPU smoke test)')"
  python -c "import sentencepiece" 2>/dev/null || { echo "gpu_check: sentencepiece is missing (pip install sentencepiece)"; exit 2; }
  SHAPE="NUM_LAYERS=9 MODEL_DIM=512 NUM_HEADS=8 NUM_KV_HEADS=4 MLP_MULT=2 TRAIN_SEQ_LEN=1024 TRAIN_BATCH_TOKENS=65536
         OPTIMIZER=muon EVAL_BATCH_WINDOWS=4 EVAL_ROWS=512 ELBO_T=16"
  TRAIN_SECONDS="${TRAIN_SECONDS:-20}"
  PLAN="EVAL_PLAN_TOKENS=62021632 EVAL_PLAN_WORLD_SIZE=8"  # full FineWeb val over 8 ranks
  PER_RUN="${PER_RUN_SECONDS:-140}"
fi
python -c "import torch; print('gpu_check: torch', torch.__version__, torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'cpu')"
echo "gpu_check: ${TRAIN_SECONDS} s of training per objective, at most ${PER_RUN} s per run; logs in ${OUT}"

START=$(date +%s)
for OBJ in ar bd3 mdlm; do
  # shellcheck disable=SC2086  # SHAPE and PLAN are word lists of NAME=value settings
  env $SHAPE $PLAN OBJECTIVE="$OBJ" BLOCK_SIZE=4 EVAL_BLOCK=1 EVAL_SEQ_LEN=0 MAX_EVAL_SECONDS=600 \
    TIE_EMBEDDINGS=1 MATRIX_LR=0.02 LR=0.02 WARMUP_STEPS=20 GRAD_ACCUM_STEPS=1 TRAIN_LOG_EVERY=50 \
    ITERATIONS=100000 MAX_WALLCLOCK_SECONDS="$TRAIN_SECONDS" COMPILE=1 ARTIFACT_DIR="$OUT" SEED=0 \
    timeout "$PER_RUN" python -m reference_model.train > "$OUT/$OBJ.log" 2>&1 \
    || echo "gpu_check: the $OBJ run exited with status $? (see $OUT/$OBJ.log)"
done
END=$(date +%s)

python benchmarks/gpu_check_report.py "$OUT/ar.log" "$OUT/bd3.log" "$OUT/mdlm.log"
echo "gpu_check: wall time $((END - START)) s for the three runs (startup, compilation, training, evaluation)"
