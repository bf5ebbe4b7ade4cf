"""The fast learning tier on one shared smoke-trained model: the MDLM learns, honestly scored."""

from __future__ import annotations

import math

import numpy as np
import pytest

from golfcheck.metric import unigram_nats
from reference_model.evaluate import window_bytes

pytestmark = pytest.mark.slow  # trains for ~1 minute; informational marker, runs in the normal suite


def test_step0_objective_near_log_v(trained):
    assert 6.4 <= trained["losses"][0] <= 7.6


def test_train_nelbo_falls(trained):
    assert np.mean(trained["losses"][-50:]) <= 5.9


def test_causal_score_beats_unigram(trained_scores, val_windows, luts, train_tokens):
    l2r = trained_scores["l2r"]
    targets = val_windows[:, 1:].reshape(-1).numpy()
    uni_bpb = unigram_nats(train_tokens, targets, 1024) / (math.log(2) * l2r.bytes)
    assert 2.6 < uni_bpb < 3.1  # ≈ 2.84 on this corpus
    assert l2r.bpb <= 2.80 and l2r.bpb <= 0.985 * uni_bpb
    assert math.isfinite(l2r.loss) and l2r.bytes == float(window_bytes(luts, val_windows).sum())
    assert l2r.tokens == val_windows.size(0) * 128


def test_elbo_is_a_sane_bound(trained_scores):
    l2r, elbo = trained_scores["l2r"].bpb, trained_scores["elbo16"].bpb
    assert l2r - 0.05 <= elbo <= 3.0


def test_train_nelbo_tracks_val_elbo(trained, trained_scores):
    # both are nats per target token; the train estimate is noisy and on train data
    assert abs(np.mean(trained["losses"][-50:]) - trained_scores["elbo16"].loss) < 0.6
