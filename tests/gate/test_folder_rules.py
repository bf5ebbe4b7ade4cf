"""GC507/GC508 on a folder on disk (what `golfcheck audit`/`check` and the pre-commit hook see)."""

from __future__ import annotations

import os

from golfcheck.api import Unit, audit_unit
from golfcheck.checks.examples import TRAIN_GPT, good_files
from golfcheck.engine import Options


def audit(folder, rule):
    code = tuple(sorted(str(p.relative_to(folder)) for p in folder.rglob("*.py")))
    findings, _ = audit_unit(Unit(folder, code, True, ""), Options(select=(rule,), scopes=("code", "folder")))
    return [f for f in findings if f.rule == rule]


def make(tmp_path):
    folder = tmp_path / "2026-05-01_Tiny"
    folder.mkdir()
    (folder / "train_gpt.py").write_text(TRAIN_GPT)
    for rel, text in good_files().items():
        (folder / rel).write_text(text)
    return folder


def test_symlinks_on_disk_are_refused(tmp_path):
    folder = make(tmp_path)
    os.symlink("../../data/fineweb_val_000000.bin", folder / "fineweb_train_000000.bin")
    (folder / "logs").mkdir()
    os.symlink("../train_seed42.log", folder / "logs" / "seed42.log")
    found = {f.path: f for f in audit(folder, "GC508")}
    assert set(found) == {"fineweb_train_000000.bin", "logs/seed42.log"}
    assert "outside the folder" in found["fineweb_train_000000.bin"].message
    assert "inside the folder" in found["logs/seed42.log"].message
    assert all(f.severity.value == "error" for f in found.values())


def test_bytecode_caches_are_not_surprises(tmp_path):
    folder = make(tmp_path)
    (folder / "__pycache__").mkdir()
    (folder / "__pycache__" / "train_gpt.cpython-311.pyc").write_bytes(b"\xa7\r\r\n\x00\x00\x00\x00")
    assert audit(folder, "GC508") == []
    assert audit(folder, "GC507") == []
