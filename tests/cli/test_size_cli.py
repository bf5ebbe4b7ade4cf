import json
import zlib


from golfcheck.checks.examples import good_files, log
from golfcheck.cli import main




def test_size_json_contract_with_shipped_model(make_folder, capsys):
    blob = zlib.compress(b"weights" * 1000, 9)
    root = make_folder({"train_gpt.py": "print(1)\n", "final_model.int8.ptz": blob})
    assert main(["size", str(root), "--format", "json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert {"code_bytes", "model_bytes", "total_bytes", "limit", "compressor", "findings"} <= set(d)
    assert d["code_bytes"] == 9 and d["model_bytes"] == len(blob) and d["total_bytes"] == 9 + len(blob)
    assert d["limit"] == 16_000_000 and d["compressor"] == "zlib" and d["findings"] == []


def test_size_over_cap_exits_1(make_folder, capsys):
    files = good_files()
    files["train_seed314.log"] = log(314, 1.0003, total=16_000_100)
    root = make_folder(files)
    assert main(["size", str(root)]) == 1
    out = capsys.readouterr().out
    assert "GC501" in out and "train_seed314.log:9" in out


def test_size_on_a_file_is_usage_error(make_folder, capsys):
    root = make_folder({"train_gpt.py": "x\n"})
    assert main(["size", str(root / "train_gpt.py")]) == 2
