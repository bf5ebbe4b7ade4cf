"""Block diffusion: the two-copy mask, and the legal score's causality, normalisation and B = 1 case."""

from __future__ import annotations

import itertools
import math

import pytest

torch = pytest.importorskip("torch")
F = torch.nn.functional

from reference_model.bd3 import bd3_loss, bd3_nats, block_masks, two_copy_mask, two_copy_positions  # noqa: E402
from reference_model.evaluate import causality_selftest, selftest_cuts  # noqa: E402
from reference_model.model import DiffusionLM, ModelConfig  # noqa: E402


def _random_model(vocab_size: int = 1024, seed: int = 0) -> DiffusionLM:
    torch.manual_seed(seed)
    model = DiffusionLM(ModelConfig(vocab_size=vocab_size, num_layers=2, model_dim=32, num_heads=4, num_kv_heads=2))
    for p in model.parameters():  # the zero-initialised projections would make the trunk context-free
        torch.nn.init.normal_(p, std=0.2)
    return model.eval()


def test_two_copy_mask_by_hand():
    L, B = 7, 3  # targets x_1..x_7 in blocks {1,2,3} {4,5,6} {7}
    m = two_copy_mask(L, B, "cpu")
    clean, noised = m[:L], m[L:]
    assert torch.equal(clean[:, :L], torch.ones(L, L, dtype=torch.bool).tril())  # causal clean copy
    assert not clean[:, L:].any()  # clean tokens never read noised ones
    # target x_5 (noised index 4) reads clean x_0..x_3 and the noised targets x_4..x_6 of its block
    assert noised[4, :L].tolist() == [True, True, True, True, False, False, False]
    assert noised[4, L:].tolist() == [False, False, False, True, True, True, False]
    # target x_1 (first block) reads only x_0 of the clean copy; x_7 reads x_0..x_6
    assert noised[0, :L].tolist() == [True] + [False] * 6 and noised[6, :L].all()
    assert two_copy_positions(L, "cpu").tolist() == list(range(7)) + list(range(1, 8))


@pytest.mark.parametrize("block", [1, 2, 3, 4])
def test_bd3_score_is_a_distribution(block):
    """Sum over every target sequence of exp(-score) is 1: each p_i is normalised given the prefix."""
    model = _random_model(vocab_size=3)
    total = sum(math.exp(-float(bd3_nats(model, torch.tensor([[1, *s]]), block).sum()))
                for s in itertools.product(range(3), repeat=4))
    assert total == pytest.approx(1.0, abs=1e-5)


@pytest.mark.parametrize("block", [1, 4, 5])
def test_bd3_causality_probe(block):
    """Replacing x_c.. leaves every earlier score bit-identical, at cuts on and off block boundaries."""
    model = _random_model()
    windows = torch.randint(0, 1024, (3, 41))
    cuts = sorted(set(selftest_cuts(40, block)) | {block + 1, 2 * block + 1, 2 * block + 2, 39})
    assert causality_selftest(lambda x: bd3_nats(model, x, block), windows, cuts, 1024) == (True, True)


def test_cached_score_equals_one_full_pass_per_target():
    """The KV-cached scorer gives what the two-copy training pass gives for each target's input."""
    model = _random_model()
    L, B = 24, 4
    x = torch.randint(0, 1024, (2, L + 1))
    fast = bd3_nats(model, x, B)
    mask, pos = two_copy_mask(L, B, "cpu"), two_copy_positions(L, "cpu")
    offset = torch.arange(L) % B
    for i in range(L):
        z = torch.where(offset >= offset[i], torch.full_like(x[:, 1:], 1024), x[:, 1:])
        with torch.no_grad():
            h = model.features(torch.cat((x[:, :-1], z), dim=1), None, pos, mask)[:, L + i]
        slow = F.cross_entropy(model.logits(h), x[:, i + 1], reduction="none").double()
        torch.testing.assert_close(fast[:, i], slow, rtol=1e-5, atol=1e-5)


def test_block_of_one_is_autoregressive():
    """B = 1: target i is a [MASK] at position i that reads x_0..x_{i-1}; scoring it from the prefix
    alone gives the same number, and the training loss with every target masked is the score's CE."""
    model = _random_model()
    L = 12
    x = torch.randint(0, 1024, (2, L + 1))
    nats = bd3_nats(model, x, 1)
    for i in range(1, L + 1):  # the input holds x_0..x_{i-1} and one [MASK]: nothing after i exists
        prefix = x[:, :i]
        inp = torch.cat((prefix, torch.full((2, 1), 1024)), dim=1)
        pos = torch.cat((torch.arange(i), torch.tensor([i])))
        mask = torch.ones(i + 1, i + 1, dtype=torch.bool).tril()
        with torch.no_grad():
            h = model.features(inp, None, pos, mask)[:, -1]
        torch.testing.assert_close(nats[:, i - 1], F.cross_entropy(model.logits(h), x[:, i], reduction="none").double(),
                                   rtol=1e-5, atol=1e-5)
    with torch.no_grad():  # B = 1 masks its one target with weight 1: the loss is exactly the score's CE
        for masks, kw in (("count", {}), ("time", dict(eps=0.0, t_min=1.0))):
            loss = bd3_loss(model, x, 1, masks, **kw)
            assert float(loss) == pytest.approx(float(nats.mean()), rel=1e-5)


def test_both_mask_estimators_are_unbiased_for_the_block_nelbo():
    """One block of 4 targets: the NELBO (eps -> 0) is sum_m 1/m E_{|S|=m} sum_{i in S} CE_i(S) per
    block, computed exactly over the 15 mask sets; both estimators' means match it (MC tolerance)."""
    model = _random_model()
    L = B = 4
    x = torch.randint(0, 1024, (1, L + 1))
    mask, pos = two_copy_mask(L, B, "cpu"), two_copy_positions(L, "cpu")
    ce = {}  # mask set (as a bit pattern) -> CE of every target under it
    for bits in range(1, 2**L):
        S = torch.tensor([[(bits >> i) & 1 == 1 for i in range(L)]])
        z = torch.where(S, torch.full_like(x[:, 1:], 1024), x[:, 1:])
        with torch.no_grad():
            h = model.features(torch.cat((x[:, :-1], z), dim=1), None, pos, mask)[0, L:]
            ce[bits] = F.cross_entropy(model.logits(h), x[0, 1:], reduction="none").double()
    exact = sum((1 / m) * sum(float(ce[b][[i for i in range(L) if (b >> i) & 1]].sum())
                              for b in ce if bin(b).count("1") == m) / math.comb(L, m) for m in range(1, L + 1)) / L
    torch.manual_seed(1)
    for mode in ("count", "time"):
        masked, weight = block_masks(40_000, L, B, "cpu", mode, eps=0.0, t_min=1e-5)
        bits = (masked.long() * (2 ** torch.arange(L))).sum(dim=1)
        table = torch.stack([torch.zeros(L, dtype=torch.float64)] + [ce[b] for b in range(1, 2**L)])
        est = (weight.double() * masked * table[bits]).sum(dim=1) / L
        assert float(est.mean()) == pytest.approx(exact, abs=4 * float(est.std()) / math.sqrt(est.numel()) + 1e-4)
        if mode == "count":
            assert masked.any(dim=1).all() and float(weight.max()) <= B  # never an empty block, weight <= B


def test_bd3_loss_is_finite_and_trains():
    torch.manual_seed(0)
    model = DiffusionLM(ModelConfig(num_layers=1, model_dim=32, num_heads=2, num_kv_heads=2))
    x = torch.randint(0, 1024, (4, 17))
    loss = bd3_loss(model, x, block=4)
    loss.backward()
    assert math.isfinite(float(loss.detach())) and model.tok_emb.weight.grad is not None
    with pytest.raises(ValueError, match="not a multiple of 4"):
        bd3_loss(model, torch.randint(0, 1024, (2, 15)), block=4)
    with pytest.raises(ValueError, match="one t per block"):
        bd3_loss(DiffusionLM(ModelConfig(num_layers=1, model_dim=32, num_heads=2, time_cond=True)), x, 4)
