"""One counting rule and one sum for the artifact, the same in size, check, gate, writeup, text and JSON.

The fixture has the shape of records/track_10min_16mb/2026-04-09_A2_Muon097_3Seed: a two-line
self-extracting train_gpt.py whose payload imports a sibling ngram_tilt.py, which compiles and loads
ngram/fused_expert_kernel.cpp; the logs count only train_gpt.py, so their totals sit just under the
cap while the code that runs puts the artifact over it.
"""

import base64
import json
import lzma

import pytest

from golfcheck.checks.artifact import check_size
from golfcheck.checks.folder import check_folder
from golfcheck.cli import main
from golfcheck.submission import load_submission

LIMIT = 16_000_000
PAYLOAD = "\n".join([
    "import os",
    "import torch",
    *[f"X{i} = {i}" for i in range(20)],
    "def eval_val(h, val_data):",
    "    if h.ngram_tilt_enabled:from ngram_tilt import NgramTiltState;state=NgramTiltState(val_data)",
    "    return 0",
]) + "\n"
IMPORT_LINE = 24  # the payload line of the import
HELPER = '''\
import ctypes
import subprocess
from pathlib import Path

_HERE = Path(__file__).resolve().parent
_SRC_PATH = _HERE / "ngram" / "fused_expert_kernel.cpp"
_LIB_PATH = _HERE / "ngram" / "libfused_ngram.so"


def _ensure_lib():
    subprocess.run(["g++", "-O3", "-shared", "-fPIC", str(_SRC_PATH), "-o", str(_LIB_PATH)], check=True)
    return ctypes.CDLL(str(_LIB_PATH))


class NgramTiltState:
    def __init__(self, val_data):
        self.lib = _ensure_lib()
''' + "# helper padding\n" * 400
KERNEL = "// fused n-gram expert kernel\n" + "extern \"C\" int f(int x) { return x; }\n" * 200


def wrapper() -> str:
    blob = lzma.compress(PAYLOAD.encode(), format=lzma.FORMAT_RAW, filters=[{"id": lzma.FILTER_LZMA2}])
    return ("import lzma as L,base64 as B\n"
            f"exec(L.decompress(B.b85decode({base64.b85encode(blob).decode()!r}),format=L.FORMAT_RAW,"
            "filters=[{'id':L.FILTER_LZMA2}]))\n")


WRAPPER = wrapper()
CODE = len(WRAPPER)
MODELS = {0: 15_973_959, 42: 15_973_608, 1234: 15_975_217}
HEADROOM = 5_000  # the logs' largest total leaves this much under the cap ...
assert len(HELPER) + len(KERNEL) > HEADROOM  # ... which the helpers use up


def seed_log(seed: int, model: int) -> str:
    return (
        "Hyperparameters:\n"
        f"  seed: {seed}\n"
        "  world_size: 8\n"
        "stopping_early: wallclock_cap train_time:588052ms step:4800/20000\n"
        f"Serialized model quantized+brotli: {model} bytes\n"
        f"Code size: {CODE} bytes\n"
        f"Total submission size quantized+brotli: {model + CODE} bytes\n"
        f"legal_ttt_exact val_loss:2.78790132 val_bpb:1.0{seed % 10}928348 eval_time:341841ms\n"
    )


def a2_files() -> dict:
    top = max(MODELS.values())
    shift = LIMIT - HEADROOM - CODE - top  # make the logs' max total exactly LIMIT - HEADROOM
    files = {"train_gpt.py": WRAPPER, "ngram_tilt.py": HELPER, "ngram/fused_expert_kernel.cpp": KERNEL,
             "README.md": "# Muon 0.97 + n-gram tilt\n"}
    for s, m in MODELS.items():
        files[f"train_seed{s}.log"] = seed_log(s, m + shift)
    files["submission.json"] = json.dumps({
        "author": "A", "github_id": "a", "name": "n-gram tilt", "val_bpb": 1.05,
        "bytes_total": LIMIT - HEADROOM, "blurb": "b", "date": "2026-04-09", "track": "10min_16mb",
        "seeds": {str(s): {"val_bpb": float(f"1.0{s % 10}928348")} for s in MODELS},
    }, indent=2)
    return files, top + shift


EXPECTED_CODE = CODE + len(HELPER) + len(KERNEL)


@pytest.fixture
def a2(make_folder):
    files, top_model = a2_files()
    return make_folder(files, "2026-04-09_A2_Muon097_3Seed"), top_model


def test_every_file_that_runs_is_counted_with_its_reason(a2):
    root, top_model = a2
    res = check_size(load_submission(root)).to_dict()
    files = {c["path"]: c for c in res["code_files"]}
    assert list(files) == ["train_gpt.py", "ngram_tilt.py", "ngram/fused_expert_kernel.cpp"]
    assert all(c["counted"] for c in files.values())
    assert "self-extracting wrapper" in files["train_gpt.py"]["reason"]
    assert files["ngram_tilt.py"]["reason"] == f"imported by train_gpt.py (payload line {IMPORT_LINE})"
    assert files["ngram/fused_expert_kernel.cpp"]["reason"].startswith("native code built or loaded by ngram_tilt.py:11")
    # one sum: counted code + the largest seed's model, over the cap although every log says it fits
    assert res["code_bytes"] == EXPECTED_CODE
    assert res["total_bytes"] == res["code_bytes"] + res["model_bytes"] == top_model + EXPECTED_CODE
    assert res["total_bytes"] > LIMIT and max(e["log_total_bytes"] for e in res["per_seed"]) == LIMIT - HEADROOM
    over = [f for f in res["findings"] if f["rule"] == "GC501" and f["severity"] == "error"]
    assert len(over) == 3 and all("the log prints" in f["message"] for f in over)


def test_text_json_check_gate_and_writeup_agree(a2, capsys, tmp_path):
    root, top_model = a2
    total = top_model + EXPECTED_CODE
    # size: text and JSON
    assert main(["size", str(root)]) == 1
    text = capsys.readouterr().out
    assert text.startswith(f"artifact: code {EXPECTED_CODE:,} + model {top_model:,} = {total:,} bytes")
    assert "OVER the cap" in text and "ngram_tilt.py: " in text and "imported by train_gpt.py (payload line" in text
    assert main(["size", str(root), "--format", "json"]) == 1
    assert json.loads(capsys.readouterr().out)["total_bytes"] == total
    # check: the rule verdict is ILLEGAL on the same number
    report = check_folder(root, run_audit=False)
    assert report.sections["size"]["total_bytes"] == total and report.rule_verdict.value == "ILLEGAL"
    # writeup: submission.json and README carry the same sum and the counted files
    assert main(["writeup", str(root), "--format", "json"]) == 1  # an ILLEGAL folder's writeup still renders
    d = json.loads(capsys.readouterr().out)
    assert d["submission_json"]["bytes_total"] == total and d["submission_json"]["bytes_code"] == EXPECTED_CODE
    readme = d["files"][str(root / "README.md")]
    assert f"**{total:,} bytes** max artifact" in readme and "`ngram/fused_expert_kernel.cpp`" in readme
    assert d["submission_json"]["compliance"]["artifact_under_16mb"] is False


def test_a_file_that_does_not_run_is_listed_as_not_counted(make_folder):
    root = make_folder({"train_gpt.py": "print(1)\n", "prepare_data.py": "print(2)\n", "notes.cpp": "int x;\n"})
    res = check_size(load_submission(root)).to_dict()
    assert [c["path"] for c in res["code_files"]] == ["train_gpt.py"]
    assert {c["path"] for c in res["not_counted"]} == {"prepare_data.py"}
    assert res["code_bytes"] == len("print(1)\n")


def test_logged_run_was_not_the_shipped_code_is_a_paperwork_warning(make_folder):
    from golfcheck.checks.examples import TRAIN_GPT, log

    # PR #779's shape: the logs measured 94,143 code bytes, the shipped train_gpt.py has 87,332
    root = make_folder({"train_gpt.py": TRAIN_GPT, "train_seed1.log": log(1, code=len(TRAIN_GPT) + 6_811)})
    res = check_size(load_submission(root))
    (f,) = [f for f in res.findings if "not the shipped code" in f.message]
    assert f.severity.value == "warning" and f.kind == "paperwork" and "6,811 bytes fewer" in f.message
    same = make_folder({"train_gpt.py": TRAIN_GPT, "train_seed1.log": log(1)}, "2026-05-02_Same")
    assert not [f for f in check_size(load_submission(same)).findings if "not the shipped code" in f.message]
