"""Shared fixtures: the embedded corpus (built once into the cache) and one smoke-trained MDLM."""

from __future__ import annotations

import os
import time

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("sentencepiece")

from golfcheck.metric import build_luts, load_tokens  # noqa: E402
from reference_model.data import TrainLoader, embedded_dataset, load_sentencepiece, load_validation  # noqa: E402
from reference_model.diffusion import nelbo_loss  # noqa: E402
from reference_model.model import DiffusionLM, ModelConfig  # noqa: E402
from reference_model.train import Hyperparameters, lr_scale  # noqa: E402

SMOKE_STEPS = 300
SMOKE_SEQ_LEN = 128


@pytest.fixture(scope="session")
def embedded():
    data_dir, tok = embedded_dataset()
    return data_dir, tok


@pytest.fixture(scope="session")
def sp(embedded):
    return load_sentencepiece(embedded[1])


@pytest.fixture(scope="session")
def luts(sp):
    return build_luts(sp, 1024)


@pytest.fixture(scope="session")
def val_windows(embedded):
    return load_validation(os.path.join(embedded[0], "fineweb_val_*.bin"), SMOKE_SEQ_LEN)


@pytest.fixture(scope="session")
def train_tokens(embedded):
    return load_tokens(os.path.join(embedded[0], "fineweb_train_*.bin"))


@pytest.fixture(scope="session")
def trained(embedded):
    """The smoke run: 2L d128, seq 128, batch 32, AdamW 2e-3, 300 steps, seed 0."""
    torch.manual_seed(0)
    args = Hyperparameters(iterations=SMOKE_STEPS, warmup_steps=20, min_lr_frac=0.1)
    model = DiffusionLM(ModelConfig())
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, betas=(0.9, 0.95), weight_decay=0.0)
    loader = TrainLoader(os.path.join(embedded[0], "fineweb_train_*.bin"))
    losses = []
    t0 = time.perf_counter()
    for step in range(SMOKE_STEPS):
        for g in opt.param_groups:
            g["lr"] = 2e-3 * lr_scale(step, step / SMOKE_STEPS, args)
        loss = nelbo_loss(model, loader.next_batch(32 * SMOKE_SEQ_LEN, SMOKE_SEQ_LEN, "cpu"))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        losses.append(loss.item())
    model.eval()
    return {"model": model, "losses": losses, "train_seconds": time.perf_counter() - t0}


@pytest.fixture(scope="session")
def trained_scores(trained, val_windows, luts):
    """Causal (l2r) and ELBO T=16 scores of the smoke model over the whole embedded val split."""
    from reference_model.evaluate import evaluate

    model = trained["model"]
    return {"l2r": evaluate(model, val_windows, luts, "l2r", batch_windows=4),
            "elbo16": evaluate(model, val_windows, luts, "elbo", T=16, batch_windows=16)}
