"""Artifact size: compressors by content, capped streaming decompression, GC501/GC502."""

import lzma
import os
import zlib

import brotli
import pytest
import zstandard

from golfcheck.checks.artifact import check_size, stream_size
from golfcheck.checks.counted_code import check_counted_code
from golfcheck.submission import load_submission

PAYLOAD = os.urandom(2048) * 64  # 128 KiB, compressible


@pytest.mark.parametrize("name,blob,kind", [
    ("final_model.int8.ptz", zlib.compress(PAYLOAD, 9), "zlib"),
    ("final_model.int6.ptz", zstandard.ZstdCompressor(level=22).compress(PAYLOAD), "zstd"),
    ("final_model.int6.xz", lzma.compress(PAYLOAD, preset=9), "xz"),
    ("final_model.int6.ptz", brotli.compress(PAYLOAD, quality=11), "brotli"),
])
def test_compressor_identified_and_decompressed(make_folder, name, blob, kind):
    root = make_folder({"train_gpt.py": "print('hi')\n", name: blob})
    res = check_size(load_submission(root)).to_dict()
    (mf,) = res["model_files"]
    assert mf["compressor"] == kind and mf["decompressed_bytes"] == len(PAYLOAD)
    assert res["code_bytes"] == len("print('hi')\n") and res["model_bytes"] == len(blob)
    assert res["total_bytes"] == res["code_bytes"] + res["model_bytes"] and res["limit"] == 16_000_000
    assert not [f for f in res["findings"] if f["rule"] == "GC501"]


@pytest.mark.parametrize("method,blob", [
    ("zlib", zlib.compress(b"\0" * (4 << 20))),
    ("zstd", zstandard.ZstdCompressor().compress(b"\0" * (4 << 20))),
    ("xz", lzma.compress(b"\0" * (4 << 20))),
    ("brotli", brotli.compress(b"\0" * (4 << 20))),
])
def test_decompression_is_capped(tmp_path, method, blob):
    p = tmp_path / "bomb"
    p.write_bytes(blob)
    size, problem = stream_size(p, method, cap=1 << 20)
    assert size is None and "cap" in problem
    assert stream_size(p, method, cap=8 << 20) == (4 << 20, "")


def test_corrupt_and_truncated_models_are_findings(make_folder):
    root = make_folder({"train_gpt.py": "x = 1\n", "final_model.int8.ptz": zlib.compress(PAYLOAD)[:500],
                        "final_model.bin": os.urandom(300)})
    res = check_size(load_submission(root))
    msgs = [f.message for f in res.findings if f.rule == "GC501"]
    assert len(msgs) == 2 and all("could not be decompressed" in m for m in msgs)


def test_over_cap_from_shipped_files(make_folder):
    root = make_folder({"train_gpt.py": "x" * 100, "final_model.int8.ptz": zlib.compress(os.urandom(16_000_000), 1)})
    res = check_size(load_submission(root))
    assert any(f.rule == "GC501" and f.severity.value == "error" and "exceeds" in f.message for f in res.findings)


def test_log_sizes_per_seed(make_folder):
    from golfcheck.checks.examples import TRAIN_GPT, log

    root = make_folder({"train_gpt.py": TRAIN_GPT, "train_seed1.log": log(1, total=15_000_000),
                        "train_seed2.log": log(2, total=16_000_123)})
    res = check_size(load_submission(root))
    assert res.total_bytes == 16_000_123 and res.source.startswith("logs")
    (f,) = [f for f in res.findings if f.rule == "GC501" and f.severity.value == "error"]
    assert f.path.endswith("train_seed2.log") and f.line == 9 and "by 123" in f.message


@pytest.mark.parametrize("code,extra,expect", [
    ("import helpers\n", {"helpers.py": "X = 1\n"}, "helpers.py is imported"),
    ("from lib.mod import f\n", {"lib/mod.py": "def f(): pass\n", "lib/__init__.py": ""}, "lib/mod.py is imported"),
    ("exec(open('train_gpt_decode.py').read())\n", {"train_gpt_decode.py": "print(1)\n"}, "train_gpt_decode.py is executed"),
    ("exec(open(__file__.replace('.py', '_decode.py')).read())\n", {"train_gpt_decode.py": "print(1)\n"},
     "train_gpt_decode.py is executed"),
    ("from torch.utils.cpp_extension import load_inline\nm = load_inline('k', cpp_sources=[''])\n", {}, "native code"),
    ("import subprocess\nsubprocess.run(['g++', '-O3', 'k.cpp'])\n", {}, "native code"),
])
def test_gc502_counted_code_outside_train_gpt(make_folder, code, extra, expect):
    root = make_folder({"train_gpt.py": code, **extra})
    res = check_counted_code(load_submission(root))
    assert any(f.rule == "GC502" and expect in f.message for f in res.findings), [f.message for f in res.findings]


def test_gc502_quiet_for_stdlib_and_unrelated_files(make_folder):
    root = make_folder({"train_gpt.py": "import os, math\nfrom torch import nn\nprint(open('data.txt').read())\n",
                        "prepare_data.py": "print(2)\n", "data.txt": "x"})
    assert check_counted_code(load_submission(root)).findings == []


def test_gc502_code_bytes_include_the_executed_sibling(make_folder):
    root = make_folder({"train_gpt.py": "exec(open('train_gpt_decode.py').read())\n",
                        "train_gpt_decode.py": "y = 2\n" * 100})
    res = check_size(load_submission(root))
    assert res.code_bytes == len("exec(open('train_gpt_decode.py').read())\n") + 600


def test_gc502_inside_a_self_extracting_wrapper(make_folder):
    import base64

    inner = "import os\nimport helper_mod\ndef main():\n    return helper_mod.X\n"
    blob = lzma.compress(inner.encode(), format=lzma.FORMAT_RAW, filters=[{"id": lzma.FILTER_LZMA2}])
    wrapper = ("import lzma as L,base64 as B\n"
               f"exec(L.decompress(B.b85decode({base64.b85encode(blob).decode()!r}),format=L.FORMAT_RAW,"
               "filters=[{'id':L.FILTER_LZMA2}]))\n")
    root = make_folder({"train_gpt.py": wrapper, "helper_mod.py": "X = 1\n"})
    (f,) = check_counted_code(load_submission(root)).findings
    assert f.in_payload and f.line == 2 and "helper_mod.py is imported" in f.message
