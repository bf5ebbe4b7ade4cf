"""Hostile pull requests: the gate always finishes with findings, its SARIF and its summary."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import attacks as A


def _gate_fixtures():
    """tests/gate/conftest.py (a repository shaped like the challenge's, with a PR branch)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("gate_conftest", Path(__file__).resolve().parents[1] / "gate" / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


PrRepo = _gate_fixtures().PrRepo

TRACK = "records/track_10min_16mb"


def run_gate(repo: PrRepo, tmp_path: Path, head: str = "pr") -> tuple[subprocess.CompletedProcess, dict, str]:
    sarif, summary = tmp_path / "out.sarif", tmp_path / "summary.md"
    proc = subprocess.run([sys.executable, "-m", "golfcheck", "gate", "--repo", str(repo.root), "--base",
                           repo.base, "--head", head, "--format", "json", "--sarif", str(sarif),
                           "--summary", str(summary)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, (proc.returncode, proc.stderr[-800:])  # findings: never a signal, never exit 2
    report = json.loads(proc.stdout)
    assert json.loads(sarif.read_text())["runs"], "SARIF written"
    return proc, report, summary.read_text()


@pytest.fixture
def repo(tmp_path) -> PrRepo:
    return PrRepo(tmp_path / "parameter-golf")


def test_a_deep_expression_in_the_pr_is_a_finding_not_a_dead_gate(repo, tmp_path):
    repo.add_submission(files={**{k: v for k, v in A.folder("x = 1\n").items() if k != "train_gpt.py"},
                               "helper.py": A.deep_or(8000)})
    repo.commit()
    _, report, summary = run_gate(repo, tmp_path)
    assert any(f["rule"] == "GC002" and f["path"].endswith("helper.py") for f in report["findings"])
    assert "GC002" in summary


def test_a_valid_code_bomb_in_the_pr_is_gc002(repo, tmp_path):
    payload = A.valid_code(2_100_000)
    repo.add_submission(files={k: v for k, v in A.folder("").items() if k != "train_gpt.py"},
                        code=A.wrapper(payload))
    repo.commit()
    _, report, _ = run_gate(repo, tmp_path)
    assert any(f["rule"] == "GC002" and "too large" in f["message"] for f in report["findings"])


def _raw_tree(repo: PrRepo, entries: list[tuple[str, bytes, str]]) -> str:
    raw = b"".join(m.encode() + b" " + n + b"\0" + bytes.fromhex(s) for m, n, s in entries)
    proc = subprocess.run(["git", "-C", str(repo.root), "hash-object", "-t", "tree", "-w", "--literally", "--stdin"],
                          input=raw, capture_output=True, check=True)
    return proc.stdout.decode().strip()


def _blob(repo: PrRepo, data: bytes) -> str:
    proc = subprocess.run(["git", "-C", str(repo.root), "hash-object", "-w", "--stdin"], input=data,
                          capture_output=True, check=True)
    return proc.stdout.decode().strip()


def _commit_folder(repo: PrRepo, folder_tree: str) -> str:
    """The base tree plus records/track_10min_16mb/2026-05-01_X = ``folder_tree`` (built with plumbing:
    porcelain refuses such trees)."""
    base = repo.git("rev-parse", "HEAD^{tree}")
    track = repo.git("rev-parse", f"HEAD:{TRACK}")
    listing = repo.git("ls-tree", track).splitlines()
    entries = [(line.split()[0], line.split("\t", 1)[1].encode(), line.split()[2]) for line in listing]
    new_track = _raw_tree(repo, sorted(entries + [("40000", b"2026-05-01_X", folder_tree)], key=lambda e: e[1]))
    records = _raw_tree(repo, [("40000", b"track_10min_16mb", new_track)])
    top = [(line.split()[0], line.split("\t", 1)[1].encode(), line.split()[2])
           for line in repo.git("ls-tree", base).splitlines() if not line.endswith("\trecords")]
    root = _raw_tree(repo, sorted(top + [("40000", b"records", records)], key=lambda e: e[1]))
    commit = repo.git("commit-tree", root, "-p", "HEAD", "-m", "hostile")
    repo.git("update-ref", "refs/heads/hostile", commit)
    return "hostile"


def test_an_empty_path_component_is_gc508(repo, tmp_path):
    code = _blob(repo, b"x = 1\n")
    folder = _raw_tree(repo, [("100644", b"", code), ("100644", b"train_gpt.py", code)])
    _, report, summary = run_gate(repo, tmp_path, _commit_folder(repo, folder))
    (f,) = [f for f in report["findings"] if f["rule"] == "GC508"]
    assert "empty filename" in f["message"] and f["severity"] == "error"
    assert "GC508" in summary


def test_a_file_and_a_folder_of_the_same_name_is_gc508(repo, tmp_path):
    code = _blob(repo, b"x = 1\n")
    sub = _raw_tree(repo, [("100644", b"y.py", code)])
    folder = _raw_tree(repo, [("100644", b"a", code), ("40000", b"a", sub), ("100644", b"train_gpt.py", code)])
    _, report, _ = run_gate(repo, tmp_path, _commit_folder(repo, folder))
    (f,) = [f for f in report["findings"] if f["rule"] == "GC508"]
    assert f["path"].endswith("a/y.py") and "clashes" in f["message"]


@pytest.mark.parametrize("name", [":(exclude)README.md", ":!x", ":(glob)**"])
def test_pathspec_magic_in_a_name_is_gc508_and_read_literally(repo, tmp_path, name):
    folder = repo.add_submission(files=dict(A.folder(A.ILLEGAL)))
    repo.write(name, "hello\n")
    repo.write(f"{folder}/{name}", "hello\n")
    repo.commit()
    _, report, _ = run_gate(repo, tmp_path)
    hostile = sorted(f["path"] for f in report["findings"] if f["rule"] == "GC508" and "pathspec" in f["message"])
    assert hostile == sorted([name, f"{folder}/{name}"])
    assert any(f["rule"] == "GC101" for f in report["findings"])  # the folder was still checked
