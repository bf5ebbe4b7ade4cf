"""Exact checks of the MDLM maths that need no training."""

from __future__ import annotations

import itertools
import math
from types import SimpleNamespace

import pytest

torch = pytest.importorskip("torch")

from reference_model.diffusion import (alpha, elbo_nats, hash_uniform, l2r_nats, loss_weight,  # noqa: E402
                                       mask_tokens, masked_nll, sample_times)
from reference_model.evaluate import causality_selftest, selftest_cuts  # noqa: E402
from reference_model.model import DiffusionLM, ModelConfig  # noqa: E402


class TableDenoiser:
    """A context-dependent denoiser over a tiny vocabulary: a random table indexed by the whole noised
    window and the position, so x_theta^l(z) depends on every visible token (bidirectional)."""

    def __init__(self, V: int, L: int, seed: int = 0, context_free: bool = False):
        self.cfg = SimpleNamespace(vocab_size=V, mask_id=V)
        self.V, self.n = V, L + 1
        g = torch.Generator().manual_seed(seed)
        states = (V + 1) ** self.n
        table = torch.randn(1 if context_free else states, self.n, V, generator=g, dtype=torch.float64) * 1.5
        self.table = table.log_softmax(-1)

    def features(self, z, t=None):
        state = torch.zeros(z.size(0), dtype=torch.int64)
        for l in range(self.n):
            state = state * (self.V + 1) + z[:, l]
        if self.table.size(0) == 1:
            state = torch.zeros_like(state)
        pos = torch.arange(self.n)
        return (state[:, None] * self.n + pos[None, :]).double()[..., None]  # [B, L+1, 1]

    def logits(self, h):
        idx = h[..., 0].long()
        return self.table.view(-1, self.V)[idx]


def test_loss_weight_is_one_over_t():
    t = torch.tensor([1e-3, 0.01, 0.3, 0.5, 0.99, 1.0])
    for eps in (0.0, 1e-3, 0.1):
        torch.testing.assert_close(loss_weight(t, eps), 1.0 / t)
        assert alpha(torch.tensor(0.0), eps) == 1.0 and alpha(torch.tensor(1.0, dtype=torch.float64), eps) == pytest.approx(eps)


@pytest.mark.parametrize("mode", ["stratified", "shifted", "antithetic"])
def test_time_sampling_covers_unit_interval(mode):
    torch.manual_seed(0)
    t = sample_times(64, mode, 1e-3, "cpu")
    assert t.shape == (64,) and (t >= 1e-3).all() and (t <= 1.0).all()
    if mode != "antithetic":  # exactly one sample per stratum of width 1/B
        strata = torch.floor((t - 1e-3) / (1 - 1e-3) * 64).long().clamp(max=63)
        assert sorted(strata.tolist()) == list(range(64))
    assert abs(float(t.mean()) - 0.5) < 0.05


def test_subs_mask_is_never_predicted_and_visible_tokens_cost_nothing():
    model = DiffusionLM(ModelConfig(num_layers=1, model_dim=32, num_heads=2, num_kv_heads=2))
    x = torch.randint(0, 1024, (3, 17))
    z, masked = mask_tokens(x, torch.tensor([0.0, 0.5, 1.0]), 1024)
    assert model(z).shape[-1] == 1024  # no output for the [MASK] id: p(mask) = 0 exactly
    assert not masked[:, 0].any() and not masked[0].any() and masked[2, 1:].all()
    assert (z[~masked] == x[~masked]).all() and (z[masked] == 1024).all()
    assert masked_nll(model, z, masked, x, None).numel() == int(masked.sum())  # only masked positions


def test_hash_masks_are_deterministic_and_uniform():
    ids = torch.arange(100, 140)
    a, b = hash_uniform(0, ids, 3, 129), hash_uniform(0, ids[5:10], 3, 129)
    assert torch.equal(a[5:10], b) and not torch.equal(a, hash_uniform(1, ids, 3, 129))
    assert 0 <= float(a.min()) and float(a.max()) < 1 and abs(float(a.mean()) - 0.5) < 0.02


def _exact_model_probs(model, x0, L, T, eps):
    """p_theta^T over V^L by the forward recursion of the T-step reverse process (brute force)."""
    V, m = model.V, model.V
    dist = {}
    for z1 in itertools.product(range(V + 1), repeat=L):  # prior: mask w.p. 1-eps, else uniform
        p = math.prod((1 - eps) if v == m else eps / V for v in z1)
        if p > 0:
            dist[z1] = dist.get(z1, 0.0) + p
    a = lambda i: 1.0 if i == 0 else 1.0 - (1.0 - eps) * i / T  # noqa: E731
    for i in range(T, 0, -1):
        keep = (1 - a(i - 1)) / (1 - a(i))
        new = {}
        for z, p in dist.items():
            logp = model.logits(model.features(torch.tensor([[x0, *z]])))[0, 1:].double().exp()
            options = []
            for l, v in enumerate(z):
                if v != m:
                    options.append([(v, 1.0)])
                else:
                    options.append([(m, keep)] + [(u, (1 - keep) * float(logp[l, u])) for u in range(V)])
            for combo in itertools.product(*options):
                q = p * math.prod(w for _, w in combo)
                if q > 0:
                    key = tuple(v for v, _ in combo)
                    new[key] = new.get(key, 0.0) + q
        dist = new
    return dist


def _exact_elbo(model, x, T, eps):
    """L_T(x) with exact expectations over the 2^L mask patterns of each step."""
    L, V = len(x) - 1, model.V
    total = L * eps * math.log(V)
    for i in range(1, T + 1):
        a_prev, a_i = (1.0 if i == 1 else 1 - (1 - eps) * (i - 1) / T), 1 - (1 - eps) * i / T
        c = (a_prev - a_i) / (1 - a_i)
        for pattern in itertools.product((0, 1), repeat=L):
            prob = math.prod((1 - a_i) if b else a_i for b in pattern)
            z = [x[0]] + [V if b else v for b, v in zip(pattern, x[1:])]
            logp = model.logits(model.features(torch.tensor([z])))[0].double()
            total += prob * c * sum(-float(logp[l + 1, x[l + 1]]) for l in range(L) if pattern[l])
    return total


def test_brute_force_bound_and_normalisation():
    V, L, T, eps = 3, 3, 4, 0.2
    model = TableDenoiser(V, L, seed=1)
    probs = _exact_model_probs(model, 0, L, T, eps)
    assert all(model.V not in z for z in probs)  # no mass left on a masked state
    assert sum(probs.values()) == pytest.approx(1.0, abs=1e-12)
    l2r_total = 0.0
    for x in itertools.product(range(V), repeat=L):
        window = [0, *x]
        assert _exact_elbo(model, window, T, eps) >= -math.log(probs[x]) - 1e-12
        l2r_total += math.exp(-float(l2r_nats(model, torch.tensor([window])).sum()))
    assert l2r_total == pytest.approx(1.0, abs=1e-6)  # the causal chain rule is a distribution
    # the implementation's deterministic-mask estimator is unbiased for the exact L_T
    x = torch.tensor([0, 2, 1, 1])
    reps = 3000
    est = elbo_nats(model, x[None].expand(reps, -1), torch.arange(reps), T, eps, seed=0)
    exact = _exact_elbo(model, x.tolist(), T, eps)
    assert float(est.mean()) == pytest.approx(exact, abs=4 * float(est.std()) / math.sqrt(reps))


def test_block_l2r_is_also_normalised():
    V, L = 3, 3
    model = TableDenoiser(V, L, seed=2)
    for block in (2, 3):
        total = sum(math.exp(-float(l2r_nats(model, torch.tensor([[1, *x]]), block=block).sum()))
                    for x in itertools.product(range(V), repeat=L))
        assert total == pytest.approx(1.0, abs=1e-6)


def test_context_free_denoiser_identity():
    """With x_theta = p fixed, E L_T = (1 - eps) sum -ln p(x^l) + L eps ln V for every T."""
    V, L, eps = 3, 4, 1e-3
    model = TableDenoiser(V, L, seed=3, context_free=True)
    x = torch.tensor([0, 2, 0, 1, 2])
    nll = -sum(float(model.table[0, l, int(x[l])]) for l in range(1, L + 1))
    expected = (1 - eps) * nll + L * eps * math.log(V)
    reps = 4000
    for T in (1, 4, 16):
        est = elbo_nats(model, x[None].expand(reps, -1), torch.arange(reps), T, eps, seed=T)
        assert float(est.mean()) == pytest.approx(expected, abs=4 * float(est.std()) / math.sqrt(reps) + 1e-9)
    if True:  # T = 1 masks everything with prob 1-eps: exact per-window values are only two kinds
        est = elbo_nats(model, x[None].expand(8, -1), torch.arange(8), 1, 0.0, seed=0)
        torch.testing.assert_close(est, torch.full((8,), nll, dtype=torch.float64))


def _random_model(**kw):
    torch.manual_seed(0)
    model = DiffusionLM(ModelConfig(num_layers=2, model_dim=64, num_heads=4, num_kv_heads=2, **kw))
    for p in model.parameters():  # the zero-initialised projections would make the trunk context-free
        torch.nn.init.normal_(p, std=0.1)
    return model.eval()


@pytest.mark.parametrize("block", [1, 4])
def test_l2r_causality_probe(block):
    model = _random_model()
    windows = torch.randint(0, 1024, (2, 49))
    score = lambda x: l2r_nats(model, x, block, rows_per_pass=16)  # noqa: E731
    cuts = selftest_cuts(48, block)
    assert {2, block + 1, 25, 48} <= set(cuts)
    assert causality_selftest(score, windows, cuts, 1024) == (True, True)


def test_causality_probe_with_time_conditioning():
    model = _random_model(time_cond=True)
    score = lambda x: l2r_nats(model, x, 1)  # noqa: E731
    assert causality_selftest(score, torch.randint(0, 1024, (1, 33)), [2, 17, 32], 1024) == (True, True)


def test_selftest_catches_a_scorer_that_sees_the_future():
    """Scoring each target from the whole unmasked window (what the ELBO's terms do) fails the probe."""
    model = _random_model()

    def leaky(x):
        logits = model.logits(model.features(x))[:, :-1]  # position i-1 sees every token, x_i.. included
        return torch.nn.functional.cross_entropy(logits.transpose(1, 2), x[:, 1:], reduction="none").double()

    with torch.no_grad():
        assert causality_selftest(leaky, torch.randint(0, 1024, (2, 33)), [2, 9, 17, 32], 1024)[0] is False


def test_selftest_reports_a_scorer_that_ignores_its_prefix():
    """A context-free scorer is causal, and the probe says that it never reads the prefix."""
    table = torch.randn(1024, dtype=torch.float64)
    future_ok, prefix_seen = causality_selftest(lambda x: table[x[:, 1:]], torch.randint(0, 1024, (2, 33)),
                                                [2, 9, 17, 32], 1024)
    assert future_ok and not prefix_seen


def test_bidirectional_features_see_the_future():
    """Why the ELBO is not a legal score: unmasked later tokens change earlier predictions."""
    model = _random_model()
    x = torch.randint(0, 1024, (1, 33))
    y = x.clone()
    y[0, 30] = (y[0, 30] + 1) % 1024
    with torch.no_grad():
        assert not torch.equal(model.features(x)[0, 5], model.features(y)[0, 5])
