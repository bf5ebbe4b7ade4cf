"""Attacker-controlled strings (folder and file names, submission.json values, quoted code) never
reach an output as anything but inert text."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from golfcheck.escape import md, md_code, one_line
from golfcheck.findings import Finding, Report, Severity
from golfcheck.formatters import render

from test_gate_attacks import PrRepo, TRACK  # noqa: F401 - the gate fixtures

FORGED = "x\n::error file=train_gpt.py,line=1::golfcheck: verdict CLEAN\r\x1b[2K\u202eevil"


def test_one_line_shows_every_control_character():
    out = one_line(FORGED)
    assert "\n" not in out and "\r" not in out and "\x1b" not in out and "\u202e" not in out
    assert "\\n::error" in out and "\\r" in out and "\\u001b" in out and "\\u202e" in out
    assert one_line("plain\ttext") == "plain\ttext"


def test_markdown_escapes_break_outs():
    cell = md("a | b `code` <img src=x onerror=alert(1)> **bold** [link](javascript:x)\nnext")
    assert "|" not in cell.replace("\\|", "") and "`" not in cell.replace("\\`", "")
    assert "<img" not in cell and "&lt;img" in cell and "\\*\\*bold" in cell and "\\[link\\]" in cell
    assert "\n" not in cell
    assert md_code("a`b|c\nd") == "a'b\\|c\\nd"


def test_text_output_cannot_forge_a_finding_line():
    r = Report(findings=[Finding("GC101", Severity.ERROR, "dir\nfake.py:1:1: GC999 [note] ok", 3, 0, FORGED)])
    lines = render(r, "text").splitlines()
    assert len(lines) == 1 and lines[0].startswith("dir\\nfake.py")


def test_the_gate_escapes_hostile_names_on_stderr_and_in_the_summary(tmp_path):
    repo = PrRepo(tmp_path / "parameter-golf")
    hostile = "2026-05-01_A\n::error title=x::CLEAN `<b>` | x"
    files = {"train_gpt.py": "print('hi')\n", "README.md": "# x\n", "submission.json": '{"name": "`</table>`"}\n',
             "train_seed1.log": "val_bpb: 1.0\n"}
    for rel, text in files.items():
        repo.write(f"{TRACK}/{hostile}/{rel}", text)
    repo.commit()
    summary = tmp_path / "summary.md"
    proc = subprocess.run([sys.executable, "-m", "golfcheck", "gate", "--repo", str(repo.root), "--base", repo.base,
                           "--head", "pr", "--summary", str(summary), "--format", "github"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode in (0, 1), proc.stderr[-500:]
    for line in (proc.stdout + proc.stderr).splitlines():
        # a workflow command can only start a line; none may come from the folder name
        assert not line.startswith("::error title=x"), line
    md_text = summary.read_text()
    assert "\n::error title=x" not in md_text
    for line in md_text.splitlines():  # raw HTML only inside a code span, where markdown shows it as text
        at = line.find("<b>")
        while at >= 0:
            assert line[:at].count("`") % 2 == 1, line
            at = line.find("<b>", at + 1)
    data = json.loads(subprocess.run([sys.executable, "-m", "golfcheck", "gate", "--repo", str(repo.root), "--base",
                                      repo.base, "--head", "pr", "--format", "json"],
                                     capture_output=True, text=True, timeout=300).stdout)
    assert data["gate"]["folder"] == f"{TRACK}/{hostile}"  # JSON keeps the exact name (its encoding is safe)
