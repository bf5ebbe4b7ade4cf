"""`golfcheck pack` never overwrites an existing file without --force."""

import json

from golfcheck.cli import main


def test_pack_refuses_to_overwrite_without_force(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    mine = tmp_path / "train_gpt.py"
    mine.write_text("# my own submission\n", encoding="utf-8")
    assert main(["pack"]) == 1  # the default output is ./train_gpt.py
    assert mine.read_text(encoding="utf-8") == "# my own submission\n"
    err = capsys.readouterr().err
    assert "train_gpt.py exists" in err and "--force" in err
    assert main(["pack", "--force", "--format", "json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert mine.stat().st_size == d["code_bytes"] and "my own submission" not in mine.read_text(encoding="utf-8")
    assert main(["pack"]) == 0  # same content again: nothing to overwrite
    assert "unchanged" in capsys.readouterr().err


def test_pack_writes_a_new_file(tmp_path, capsys):
    out = tmp_path / "packed.py"
    assert main(["pack", "-o", str(out), "--compress"]) == 0
    assert out.read_text(encoding="utf-8").startswith("import base64,lzma\n")
