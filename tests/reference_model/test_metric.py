"""Shard I/O and byte accounting against hand-computed cases."""

from __future__ import annotations

import math
import os
import subprocess
import sys

import numpy as np
import pytest

from golfcheck.metric import (BpbMeter, build_luts, load_tokens, read_shard, stream_bytes, target_bytes,
                              truncate_for_eval, write_shard)


def test_metric_module_does_not_import_torch():
    code = "import sys, golfcheck.metric, golfcheck.pack; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_shard_round_trip_and_header(tmp_path):
    rng = np.random.default_rng(0)
    toks = rng.integers(0, 2**16, size=1000, dtype=np.int64)
    p = tmp_path / "fineweb_val_000000.bin"
    write_shard(str(p), toks)
    assert p.stat().st_size == 1024 + 2 * 1000
    header = np.fromfile(p, dtype="<i4", count=256)
    assert list(header[:3]) == [20240520, 1, 1000] and not header[3:].any()
    np.testing.assert_array_equal(read_shard(str(p)), toks.astype(np.uint16))


def _corrupt(path, offset, value):
    data = bytearray(path.read_bytes())
    data[offset : offset + 4] = np.array([value], dtype="<i4").tobytes()
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("case,message", [
    ("magic", "bad magic"), ("version", "unsupported version"), ("truncated", "truncated payload"),
    ("trailing", "trailing bytes"), ("count", "truncated payload"), ("header", "truncated header"),
])
def test_shard_validation_errors(tmp_path, case, message):
    p = tmp_path / "s.bin"
    write_shard(str(p), np.arange(100))
    if case == "magic":
        _corrupt(p, 0, 12345)
    elif case == "version":
        _corrupt(p, 4, 2)
    elif case == "truncated":
        p.write_bytes(p.read_bytes()[:-3])
    elif case == "trailing":
        p.write_bytes(p.read_bytes() + b"\0\0")
    elif case == "count":
        _corrupt(p, 8, 101)
    elif case == "header":
        p.write_bytes(p.read_bytes()[:100])
    with pytest.raises(ValueError, match=message):
        read_shard(str(p))


def test_val_shards_concatenate_in_sorted_order(tmp_path):
    write_shard(str(tmp_path / "fineweb_val_000001.bin"), [7, 8])
    write_shard(str(tmp_path / "fineweb_val_000000.bin"), [1, 2, 3])
    write_shard(str(tmp_path / "fineweb_val_000010.bin"), [9])
    assert load_tokens(str(tmp_path / "fineweb_val_*.bin")).tolist() == [1, 2, 3, 7, 8, 9]


def test_eval_truncation_keeps_usable_plus_one():
    toks = np.arange(1000)
    kept = truncate_for_eval(toks, 128)
    assert len(kept) == 7 * 128 + 1  # usable = ((1000 - 1) // 128) * 128 = 896


SPECIAL_DOCS = [
    "Digits: 3.14159 and 2026-11-27, 1000000 items; 42nd.",
    "Non-ASCII: naïve café, Größe, Ελληνικά, 日本語のテキスト, привет мир.",
    "Emoji force byte fallback: 🐍🚀 and 🧪 in a row 🎉!",
    "   leading whitespace and    repeated     spaces\tand\ttabs\n\nnewlines",
    "Fullwidth ＡＢＣ １２３ and ligature ﬁ get NFKC-normalised.",
    " x",
    "▁ a literal lower-one-eighth block ▁▁ and ____ underscores",
]


def test_lut_round_trip_matches_decoded_utf8(sp, luts):
    """Σ bytes(y|p) over [BOS] + ids equals the UTF-8 length of the decoded (normalised) text."""
    from reference_model.data import embedded_documents

    docs = embedded_documents()[:400] + SPECIAL_DOCS
    used_byte_fallback = False
    for text in docs:
        ids = sp.encode(text)
        used_byte_fallback |= any(sp.is_byte(i) for i in ids)
        assert stream_bytes(luts, [1] + ids) == len(sp.decode(ids).encode("utf-8")), text
    assert used_byte_fallback  # the emoji document exercised the 1-byte <0xNN> pieces


def test_lut_tables(sp, luts):
    assert luts.is_boundary[:4].all() and not luts.is_boundary[4:1024].any()
    byte_ids = [i for i in range(sp.vocab_size()) if sp.is_byte(i)]
    assert len(byte_ids) == 256 and (luts.base_bytes[byte_ids] == 1).all()
    assert not luts.has_leading_space[byte_ids].any() and (luts.base_bytes[:4] == 0).all()
    # sized max(sp vocab, VOCAB_SIZE); padding ids are boundaries
    big = build_luts(sp, 1100)
    assert len(big.base_bytes) == 1100 and big.is_boundary[1024:].all()


class FakeSP:
    """A hand-written sentencepiece-like vocabulary for exact byte cases."""

    pieces = ["<pad>", "<s>", "</s>", "<unk>", "<0x41>", "▁the", "the", "▁", "é", "▁日本"]

    def vocab_size(self):
        return len(self.pieces)

    def id_to_piece(self, i):
        return self.pieces[i]

    def is_control(self, i):
        return i in (0, 1, 2)

    def is_unknown(self, i):
        return i == 3

    def is_unused(self, i):
        return False

    def is_byte(self, i):
        return self.pieces[i].startswith("<0x")


def test_bos_handling_and_hand_computed_bytes():
    luts = build_luts(FakeSP(), 10)
    # "▁the" counts 3 bytes right after BOS (no space) and 4 mid-document
    assert target_bytes(luts, [5], [1]).tolist() == [3]
    assert target_bytes(luts, [5], [6]).tolist() == [4]
    # stream [BOS, ▁the, ▁the, the, <0x41>, é, ▁, ▁日本, BOS, ▁the]
    stream = [1, 5, 5, 6, 4, 8, 7, 9, 1, 5]
    assert target_bytes(luts, stream[1:], stream[:-1]).tolist() == [3, 4, 3, 1, 2, 1, 7, 0, 3]
    assert stream_bytes(luts, stream) == 24


def test_uniform_predictor_and_meter_invariance(val_windows, luts):
    torch = pytest.importorskip("torch")
    from reference_model.evaluate import evaluate, window_bytes
    from reference_model.model import DiffusionLM, ModelConfig

    model = DiffusionLM(ModelConfig(num_layers=1, model_dim=64))
    torch.nn.init.zeros_(model.head.weight)  # logits 0: uniform over the 1024 real tokens
    windows = val_windows[:10, :33]  # ten windows of 32 targets (x_0 + 32) keep this test fast
    n_tok = windows.size(0) * (windows.size(1) - 1)
    n_bytes = int(window_bytes(luts, windows).sum())
    for mode in ("l2r", "ar"):
        m = evaluate(model, windows, luts, mode, batch_windows=5)
        assert m.tokens == n_tok and m.bytes == n_bytes
        assert m.loss == pytest.approx(math.log(1024), rel=1e-7)  # float32 log-softmax
        assert m.bpb == pytest.approx(10.0 * n_tok / n_bytes, rel=1e-7)
    # invariance of a real score to batch size, a simulated 2-way split, and window order
    torch.manual_seed(0)
    for p in model.parameters():
        torch.nn.init.normal_(p, std=0.05)
    ref = evaluate(model, windows, luts, "l2r", batch_windows=10)
    assert evaluate(model, windows, luts, "l2r", batch_windows=1).bpb == pytest.approx(ref.bpb, rel=1e-6)
    split = evaluate(model, windows, luts, "l2r", rank=0, world_size=2).merge(
        evaluate(model, windows, luts, "l2r", rank=1, world_size=2))
    assert split.bpb == pytest.approx(ref.bpb, rel=1e-6) and split.bytes == ref.bytes
    perm = torch.randperm(windows.size(0))
    assert evaluate(model, windows[perm], luts, "l2r").bpb == pytest.approx(ref.bpb, rel=1e-6)


def test_meter_sums_not_means():
    a, b = BpbMeter(), BpbMeter()
    a.add(10.0, 2, 5)
    b.add(1.0, 8, 20)
    m = a.merge(b)
    assert m.loss == pytest.approx(11.0 / 10) and m.bpb == pytest.approx(11.0 / (math.log(2) * 25))
    assert BpbMeter.from_array(m.as_array()) == m


def test_embedded_corpus_shape(embedded, val_windows, luts):
    data_dir, tok = embedded
    assert not os.path.abspath(data_dir).startswith(os.path.abspath(os.path.dirname(__file__) + "/../.."))
    n_val = len(load_tokens(os.path.join(data_dir, "fineweb_val_*.bin")))
    n_train = len(load_tokens(os.path.join(data_dir, "fineweb_train_*.bin")))
    assert 10_000 < n_val < 20_000 and 100_000 < n_train < 170_000
    from reference_model.evaluate import window_bytes

    bpt = window_bytes(luts, val_windows).sum() / (val_windows.size(0) * 128)
    assert 2.7 < bpt < 3.3  # ≈ 3.0 bytes/token on this corpus
