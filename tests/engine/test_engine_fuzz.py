"""Hypothesis fuzzing of the normaliser and parse path: any bytes give findings, never an exception."""

from __future__ import annotations

import base64
import lzma
import zlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from golfcheck.engine import Options, build_context, run_rules
from golfcheck.facts import Facts
from golfcheck.source import Normaliser, Source, parse

from engine_helpers import INLINE_RULES

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
PAYLOAD = b"import os\ndef f(x):\n    return x + 1\ndanger()\n"


def normalise_bytes(tmp_path, data: bytes):
    (tmp_path / "train_gpt.py").write_bytes(data)
    norm = Normaliser(tmp_path, analyse=Facts.build).run(["train_gpt.py"])
    for f in norm.findings:
        assert f.rule in ("GC001", "GC002") and f.line >= 1 and f.column >= 0
    return norm


@FUZZ
@given(data=st.binary(max_size=2048))
def test_random_bytes(tmp_path, data):
    normalise_bytes(tmp_path, data)


PY_TOKENS = ["def", "f", "(", ")", ":", "\n", "    ", "x", "=", "1", "+", "[", "]", "{", "}", "'s'", '"""', "lambda",
             "if", "else", "for", "in", "while", "return", "exec", "import", "base64", ".", ",", "*", "**", "#", "\\",
             "async", "await", "yield", "@", "class", "try", "except", "f'{x}'", "b'\\x00'", "\t", ";", "match", "case"]


@FUZZ
@given(tokens=st.lists(st.sampled_from(PY_TOKENS), max_size=120))
def test_python_like_text(tokens):
    module, bad = parse(Source("t.py", " ".join(tokens)))
    assert (module is None) != (bad is None)


def _wrapper(blob: str, kind: str) -> bytes:
    if kind == "raw":
        call = 'lzma.decompress(base64.b85decode("{}"), format=lzma.FORMAT_RAW, filters=[{{"id": lzma.FILTER_LZMA2}}])'
    elif kind == "xz":
        call = 'lzma.decompress(base64.b85decode("{}"))'
    else:
        call = 'zlib.decompress(base64.b85decode("{}"))'
    return ("import lzma, zlib, base64\nexec(" + call.format(blob) + ")\n").encode()


BLOBS = {
    "raw": base64.b85encode(lzma.compress(PAYLOAD, format=lzma.FORMAT_RAW, filters=[{"id": lzma.FILTER_LZMA2}])).decode(),
    "xz": base64.b85encode(lzma.compress(PAYLOAD)).decode(),
    "zlib": base64.b85encode(zlib.compress(PAYLOAD)).decode(),
}
B85_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;<=>?@^_`{|}~"


@FUZZ
@given(kind=st.sampled_from(sorted(BLOBS)), edits=st.lists(st.tuples(st.integers(0, 10_000), st.sampled_from(B85_ALPHABET)), max_size=6),
       cut=st.integers(0, 10_000))
def test_mutated_wrapper_payloads(tmp_path, kind, edits, cut):
    blob = list(BLOBS[kind])
    for pos, ch in edits:
        blob[pos % len(blob)] = ch
    text = "".join(blob)
    if cut % 3 == 0:
        text = text[: cut % len(text)]
    norm = normalise_bytes(tmp_path, _wrapper(text, kind))
    if not edits and cut % 3:
        assert len(norm.sources) == 2  # the untouched wrapper decodes


@FUZZ
@given(data=st.binary(max_size=600))
def test_whole_engine_on_random_wrapped_payloads(tmp_path, data):
    blob = base64.b85encode(zlib.compress(data)).decode()
    (tmp_path / "train_gpt.py").write_bytes(_wrapper(blob, "zlib"))
    ctx = build_context(tmp_path, ["train_gpt.py"], None, Options())
    findings = run_rules(ctx, INLINE_RULES)
    assert all(f.line >= 1 for f in findings)
