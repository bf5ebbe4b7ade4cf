"""The published p-values and the worked checks of SUBMISSION_FORMAT §4.4 / RULES GC602."""

import pytest

from golfcheck.stats import compare, welch_less

PR1493 = [1.08103103, 1.08079352, 1.08118408]
PR1514 = [1.07928348, 1.07996676, 1.08024795]
PR1529 = [1.07506048, 1.07645101, 1.07585093]
C_SP8192 = 0.38713


def test_1514_vs_1493_progression_p_0203():
    c = compare(PR1514, PR1493, C_SP8192)
    assert c.progression.p == pytest.approx(0.0203, abs=5e-5)
    assert c.progression.t == pytest.approx(-3.798, abs=1e-3)
    assert c.progression.df == pytest.approx(2.61, abs=0.01)
    assert c.strict.p == pytest.approx(0.949, abs=1e-3)
    assert c.to_dict()["progression"]["pass"] and not c.to_dict()["strict"]["pass"]


def test_1514_vs_rounded_1493_gives_0204():
    c = compare(PR1514, [1.08079, 1.08103, 1.08118], C_SP8192)
    assert c.progression.p == pytest.approx(0.0204, abs=1e-4)


def test_1529_vs_1514_p_000093():
    c = compare(PR1529, PR1514, C_SP8192)
    assert c.progression.p == pytest.approx(0.00093, abs=1e-5)
    assert c.progression.t == pytest.approx(-8.19, abs=0.01)
    assert c.progression.df == pytest.approx(3.61, abs=0.01)


def test_0325_vs_0323_worked_check():
    x = [1.11508120, 1.11437394, 1.11475014]
    y = [1.11922988, 1.12002032, 1.11888882]
    c = compare(x, y, 0.59226)
    assert c.progression.t == pytest.approx(-11.834, abs=1e-3)
    assert c.progression.df == pytest.approx(3.306, abs=1e-3)
    assert c.margin_bpb == pytest.approx(0.002961, abs=1e-6)
    assert c.strict.p == pytest.approx(0.00955, abs=5e-5)
    assert c.to_dict()["strict"]["pass"]


def test_1769_vs_1736_five_vs_three():
    x = [1.06356801, 1.0641313, 1.06466993, 1.06509678, 1.06516558]
    y = [1.06473025, 1.06562743, 1.06610085]
    c = compare(x, y, 0.45694)
    assert c.progression.p == pytest.approx(0.0626, abs=1e-4)
    assert c.strict.p == pytest.approx(0.973, abs=1e-3)
    assert c.delta_nats == pytest.approx(c.delta_bpb / 0.45694)


def test_one_sample_and_degenerate_inputs():
    t = welch_less([1.0, 1.001, 1.002], [1.01])
    assert t.kind == "one-sample" and t.df == 2 and t.p < 0.05
    assert welch_less([1.0], [1.0, 1.1]).p is None
    c = compare([1.0, 1.0, 1.0], [1.0, 1.0, 1.0], C_SP8192)  # zero variance: no crash, no pass
    assert not c.to_dict()["strict"]["pass"]


def test_tokenizer_mismatch_uses_larger_margin():
    c = compare(PR1514, PR1493, 0.38713, c_new=0.45694)
    assert c.margin_bpb == pytest.approx(0.005 * 0.45694)
    assert c.notes
