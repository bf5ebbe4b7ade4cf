"""`golfcheck decode`: the decoded source of a self-extracting wrapper, numbered as findings cite it."""

import base64
import json
import lzma

from golfcheck.cli import main

PAYLOAD = "".join(f"x{i} = {i}\n" for i in range(1, 30)) + "from helper_mod import X\n"


def wrapper(text: str) -> str:
    blob = lzma.compress(text.encode(), format=lzma.FORMAT_RAW, filters=[{"id": lzma.FILTER_LZMA2}])
    return ("import lzma as L,base64 as B\n"
            f"exec(L.decompress(B.b85decode({base64.b85encode(blob).decode()!r}),format=L.FORMAT_RAW,"
            "filters=[{'id':L.FILTER_LZMA2}]))\n")


def test_decode_prints_the_payload_lines_findings_cite(make_folder, capsys):
    root = make_folder({"train_gpt.py": wrapper(PAYLOAD), "helper_mod.py": "X = 1\n"})
    # the finding names the payload line, not a line of the two-line shipped file
    main(["size", str(root)])
    out = capsys.readouterr().out
    assert f"{root / 'train_gpt.py'} (payload line 30): GC502" in out
    assert main(["decode", str(root / "train_gpt.py"), "--lines", "29-30"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"# {root / 'train_gpt.py'}: decoded payload (b85decode>lzma-raw), 30 lines"
    assert lines[1:] == ["29  x29 = 29", "30  from helper_mod import X"]
    assert main(["decode", str(root / "train_gpt.py"), "--format", "json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["wrapper"] and len(d["payloads"][0]["lines"]) == 30


def test_decode_of_a_plain_file_and_bad_input(make_folder, capsys):
    root = make_folder({"train_gpt.py": "print(1)\nprint(2)\n"})
    assert main(["decode", str(root / "train_gpt.py"), "--lines", "2"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "not a self-extracting wrapper" in out[0] and out[1:] == ["2  print(2)"]
    assert main(["decode", str(root / "train_gpt.py"), "--lines", "9-3"]) == 2
    assert "--lines" in capsys.readouterr().err
    assert main(["decode", str(root / "missing.py")]) == 2
