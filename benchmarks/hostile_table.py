"""Re-run the hostile-input table: each attack at full size, as one golfcheck command.

    python benchmarks/hostile_table.py [--only SUBSTRING] [--keep]

Prints one row per attack: what golfcheck said (verdict and the deciding finding ids), the exit
code (a negative code is a signal), peak resident memory of the command and every process it
forked (``wait4``), wall and CPU seconds. The inputs come from tests/hostile/attacks.py. Figures
only; a benchmark never asserts. Run it alone: it is meant to show the limits, on one core.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "hostile"))

import attacks as A  # noqa: E402

GIT_ENV = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}


def measure(args: list[str], cwd: Path, timeout: float = 600) -> dict:
    """Run ``python -m golfcheck ARGS`` under GNU time: peak RSS over its process tree, seconds, exit
    code (negative: the signal that ended it), output. (Not ``wait4`` from here: a child forked from
    this process, which holds the generated inputs, would start its peak at this process's size.)"""
    import threading

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile("r") as stats:
        t0 = time.perf_counter()
        proc = subprocess.Popen(["/usr/bin/time", "-q", "-f", "%x %M %U %S", "-o", stats.name, sys.executable, "-m",
                                 "golfcheck", *args], cwd=cwd, stdout=out, stderr=err)
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        proc.wait()
        timer.cancel()
        wall = time.perf_counter() - t0
        fields = (stats.read().strip().splitlines() or ["-1 0 0 0"])[-1].split()
        if fields[0] == "Command":  # "Command terminated by signal N"
            rc, kb, user, system = -int(fields[-1]), 0, 0.0, 0.0
        else:
            rc, kb, user, system = int(fields[0]), int(fields[1]), float(fields[2]), float(fields[3])
        out.seek(0)
        err.seek(0)
        return {"rc": rc, "wall": wall, "cpu": user + system, "rss_mb": kb / 1024,
                "out": out.read().decode("utf-8", "replace"), "err": err.read().decode("utf-8", "replace")}


def outcome(res: dict) -> str:
    try:
        report = json.loads(res["out"])
    except ValueError:
        return (res["err"].strip().splitlines() or ["(no output)"])[-1][:90]
    ids = sorted({f["rule"] for f in report.get("findings", []) if f["rule"] in DECIDING})
    return f"{report.get('verdict')} {' '.join(ids)}".strip()


DECIDING = {"GC001", "GC002", "GC004", "GC101", "GC508", "GC604", "GC605"}


def folder(base: Path, name: str, files: dict) -> Path:
    root = base / name / "2026-05-01_Hostile"
    root.mkdir(parents=True)
    for rel, content in files.items():
        (root / rel).write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return root


def git(repo: Path, *args: str, data: bytes | None = None) -> str:
    cmd = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args]
    return subprocess.run(cmd, input=data, capture_output=True, check=True, env=GIT_ENV).stdout.decode().strip()


def pr_repo(base: Path, name: str, files: dict) -> Path:
    repo = base / name
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "README.md").write_text("# challenge\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    git(repo, "checkout", "-q", "-b", "pr")
    for rel, content in files.items():
        p = repo / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", "pr")
    return repo


def crafted_repo(base: Path, name: str, kind: str) -> Path:
    """A PR whose tree porcelain cannot make: an empty name, or a file and a folder of one name."""
    repo = pr_repo(base, name, {})
    code = git(repo, "hash-object", "-w", "--stdin", data=A.ILLEGAL.encode())

    def tree(entries):
        raw = b"".join(m.encode() + b" " + n + b"\0" + bytes.fromhex(s) for m, n, s in entries)
        return git(repo, "hash-object", "-t", "tree", "-w", "--literally", "--stdin", data=raw)

    if kind == "empty":
        sub = tree([("100644", b"", code), ("100644", b"train_gpt.py", code)])
    else:
        inner = tree([("100644", b"y.py", code)])
        sub = tree([("100644", b"a", code), ("40000", b"a", inner), ("100644", b"train_gpt.py", code)])
    track = tree([("40000", b"2026-05-01_X", sub)])
    records = tree([("40000", b"track_10min_16mb", track)])
    readme = git(repo, "rev-parse", "HEAD:README.md")
    top = tree([("100644", b"README.md", readme), ("40000", b"records", records)])
    git(repo, "update-ref", "refs/heads/pr", git(repo, "commit-tree", top, "-p", "main", "-m", kind))
    return repo


def rows(base: Path):
    """(label, cwd, args) of every row; inputs are written lazily, one row at a time."""
    track = "records/track_10min_16mb/2026-05-01_Hostile"

    def audit(label, name, code):
        def make():
            d = base / name
            d.mkdir()
            (d / "train_gpt.py").write_bytes(code() if callable(code) else code)
            return d, ["audit", "train_gpt.py", "--format", "json"]
        return label, make

    def check(label, name, files):
        def make():
            root = folder(base, name, files())
            return root.parent, ["check", root.name, "--format", "json"]
        return label, make

    def gate(label, name, files=None, kind=None):
        def make():
            repo = crafted_repo(base, name, kind) if kind else pr_repo(base, name, files())
            return repo, ["gate", "--base", "main", "--head", "pr", "--format", "json",
                          "--sarif", str(base / f"{name}.sarif"), "--summary", str(base / f"{name}.md")]
        return label, make

    yield audit("x = a or a or ... (8,000 terms, 40 KB)", "deep", A.deep_or(8000).encode())
    yield audit("wrapper, 7.9 MB payload of valid Python", "bomb79", lambda: A.wrapper(A.valid_code(7_900_000)).encode())
    for mb in (1, 2, 4):
        yield audit(f"wrapper, {mb} MB payload of valid Python", f"bomb{mb}",
                    lambda mb=mb: A.wrapper(A.valid_code(mb * 1_000_000)).encode())
    yield audit("one 1 MB dict literal", "dict", lambda: A.dict_literal(1_000_000).encode())
    yield audit("24 MB of ;-joined statements", "semis", lambda: A.semicolons(24_000_000).encode())
    for kind in ("multiply", "concat", "replace"):
        yield audit(f"amplification in the wrapper ({kind})", f"amp_{kind}", A.amplification(kind).encode())
    yield audit("full-width exec wrapper of an illegal payload", "nfkc", A.wrapper(A.ILLEGAL, A.FULL_WIDTH_EXEC).encode())
    yield check("200 MB log", "log200", lambda: A.folder(A.ILLEGAL, **{"train_seed1337.log": A.tiny_lines_log(200_000_000, "x" * 99)}))
    yield check("log with CR-only line ends", "logcr", lambda: A.folder(A.ILLEGAL, **{"train_seed1337.log": A.cr_only_log(2_000_000)}))
    yield check("30 MB log of tiny lines", "log30", lambda: A.folder(A.ILLEGAL, **{"train_seed1337.log": A.tiny_lines_log(30_000_000)}))
    yield check("4 MB log of tiny lines (just under the cap)", "log4", lambda: A.folder(
        A.ILLEGAL, **{"train_seed1337.log": A.tiny_lines_log(4 * 1024 * 1024 - 4096)}))
    yield check("64 MB log line, spaces around a metric", "log64", lambda: A.folder(A.ILLEGAL, **{"train_seed1337.log": A.long_line_log(64_000_000)}))
    yield check("50 x backtracking traps, 4,080 spaces each", "traps", lambda: A.folder(A.ILLEGAL, **{"train_seed1337.log": A.spaces_log(50, 4080)}))
    for kind, data in A.json_variants().items():
        yield check(f"submission.json: {kind}", f"json_{kind}", lambda data=data: A.folder(A.ILLEGAL, **{"submission.json": data}))
    yield check("forged echo use_ngram: 0", "echo", lambda: A.folder(A.GATED, **{"train_seed1337.log": "Hyperparameters:\n  use_ngram: 0\n"}))
    yield gate("gate: PR with the deep-expression file", "gate_deep", lambda: {
        f"{track}/{k}": v for k, v in A.folder(A.deep_or(8000)).items()})
    yield gate("gate: PR with a valid-code bomb (2.1 MB payload)", "gate_bomb", lambda: {
        f"{track}/{k}": v for k, v in A.folder(A.wrapper(A.valid_code(2_100_000))).items()})
    yield gate("gate: PR with a 15.9 MB log of tiny lines", "gate_log", lambda: {
        f"{track}/{k}": v for k, v in A.folder(A.ILLEGAL, **{"train_seed1337.log": A.tiny_lines_log(15_900_000)}).items()})
    yield gate("gate: empty path component", "gate_empty", kind="empty")
    yield gate("gate: file/folder name clash", "gate_clash", kind="clash")
    yield gate("gate: pathspec magic in a name", "gate_magic", lambda: {
        **{f"{track}/{k}": v for k, v in A.folder(A.ILLEGAL).items()}, ":(exclude)README.md": "x\n"})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default="", help="run the rows whose label contains this")
    ap.add_argument("--keep", action="store_true", help="keep the generated inputs")
    opts = ap.parse_args()
    base = Path(tempfile.mkdtemp(prefix="gc-hostile-"))
    print(f"{'input':52} {'outcome':34} {'exit':>4} {'peak MB':>8} {'wall s':>7} {'cpu s':>6}")
    try:
        for label, make in rows(base):
            if opts.only not in label:
                continue
            cwd, args = make()
            res = measure(args, cwd)
            print(f"{label[:52]:52} {outcome(res)[:34]:34} {res['rc']:>4} {res['rss_mb']:>8.0f} "
                  f"{res['wall']:>7.1f} {res['cpu']:>6.1f}", flush=True)
            if not opts.keep:
                shutil.rmtree(cwd if cwd.parent == base else cwd.parent, ignore_errors=True)
    finally:
        if not opts.keep:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
