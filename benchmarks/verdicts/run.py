"""The verdict benchmark: golfcheck's rule verdicts on public submissions labelled by hand.

    python benchmarks/verdicts/run.py MIRROR [--only ID ...] [--jobs N] [--golfcheck CMD] [--json OUT]

MIRROR is a git mirror of openai/parameter-golf (bare or not) that holds every case's commit (PR heads
are under refs/pull/N/head). Each case's folder is exported with ``git archive`` into a temporary
directory (keeping its records/<track>/ path, so golfcheck sees the track) and checked with
``golfcheck check FOLDER --format json`` in a subprocess, as a user runs it. Nothing from a case is
executed. Prints per-family recall, false ILLEGAL and HOLD on clean cases, hold agreement, line
accuracy and a table of misses and false alarms; ``--json`` writes the same figures for comparing runs.
Figures only: a benchmark never asserts.
"""

from __future__ import annotations

import argparse
import io
import json
import shlex
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scoring import Case, CaseResult, ManifestError, failed, format_figures, judge, load_cases, summarise  # noqa: E402

HERE = Path(__file__).resolve().parent
EXPORT_CAP = 512 * 1024 * 1024  # a case folder larger than this is refused rather than unpacked


class Abort(Exception):
    """A problem that stops the whole run (exit 2 with one line)."""


def git(mirror: Path, *args: str) -> bytes:
    proc = subprocess.run(["git", f"--git-dir={mirror}", *args], capture_output=True)
    if proc.returncode != 0:
        lines = proc.stderr.decode(errors="replace").strip().splitlines()
        raise RuntimeError(lines[-1] if lines else f"git {args[0]} failed")
    return proc.stdout


def git_dir(mirror: Path) -> Path:
    """The repository's git directory: MIRROR itself when bare, MIRROR/.git otherwise."""
    for candidate in (mirror, mirror / ".git"):
        if candidate.is_dir() and (candidate / "objects").is_dir():
            return candidate
    raise Abort(f"{mirror}: not a git repository (no objects/ directory)")


def materialise(mirror: Path, case: Case, dest: Path) -> Path:
    """Export the case's folder at its commit under ``dest``; returns the folder's path there."""
    try:
        git(mirror, "cat-file", "-e", f"{case.commit}:{case.folder}")
    except RuntimeError:
        raise RuntimeError(f"{case.folder} not found at {case.commit[:12]} in the mirror") from None
    data = git(mirror, "archive", "--format=tar", case.commit, "--", case.folder)
    if len(data) > EXPORT_CAP:
        raise RuntimeError(f"folder export is {len(data)} bytes, over the {EXPORT_CAP}-byte cap")
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(dest, filter="data")
    return dest / case.folder


def check(golfcheck: list[str], folder: Path, timeout: float) -> dict:
    proc = subprocess.run([*golfcheck, "check", str(folder), "--format", "json"], capture_output=True,
                          timeout=timeout)
    if proc.returncode not in (0, 1):
        err = proc.stderr.decode(errors="replace").strip().splitlines()
        raise RuntimeError(f"golfcheck exited {proc.returncode}: {err[-1] if err else 'no message'}")
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        raise RuntimeError(f"golfcheck printed no JSON ({exc})") from None
    if not isinstance(report, dict):
        raise RuntimeError("golfcheck's JSON is not an object")
    return report


def run_case(mirror: Path, case: Case, golfcheck: list[str], workdir: Path, timeout: float) -> CaseResult:
    dest = workdir / case.id
    t0 = time.perf_counter()
    try:
        folder = materialise(mirror, case, dest)
        t0 = time.perf_counter()
        report = check(golfcheck, folder, timeout)
    except subprocess.TimeoutExpired:
        return failed(case, f"golfcheck ran past {timeout:.0f} s", time.perf_counter() - t0)
    except (RuntimeError, OSError, tarfile.TarError) as exc:
        return failed(case, str(exc), time.perf_counter() - t0)
    return judge(case, report, str(folder), time.perf_counter() - t0)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("mirror", type=Path, help="git mirror of openai/parameter-golf")
    ap.add_argument("--only", nargs="+", metavar="ID", help="run only these case ids")
    ap.add_argument("--jobs", type=int, default=1, help="cases checked at once (default 1)")
    ap.add_argument("--golfcheck", default="golfcheck", help="command that runs golfcheck (default: golfcheck)")
    ap.add_argument("--manifest", type=Path, default=HERE / "cases.toml")
    ap.add_argument("--json", type=Path, metavar="OUT", help="also write the figures as JSON")
    ap.add_argument("--keep", type=Path, metavar="DIR", help="export the folders here and keep them")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds per golfcheck run (default 300)")
    args = ap.parse_args(argv)
    try:
        cases = load_cases(args.manifest)
        if args.only:
            unknown = sorted(set(args.only) - {c.id for c in cases})
            if unknown:
                raise Abort(f"{args.manifest}: no case with id {', '.join(unknown)}")
            cases = [c for c in cases if c.id in set(args.only)]
        mirror = git_dir(args.mirror)
        golfcheck = shlex.split(args.golfcheck)
        if not golfcheck or shutil.which(golfcheck[0]) is None:
            raise Abort(f"--golfcheck {args.golfcheck!r}: command not found")
        if args.jobs < 1:
            raise Abort("--jobs must be at least 1")
    except (ManifestError, Abort) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    workdir = args.keep or Path(tempfile.mkdtemp(prefix="gc-verdicts-"))
    workdir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    try:
        with ThreadPoolExecutor(max_workers=args.jobs) as pool:
            futures = [pool.submit(run_case, mirror, c, golfcheck, workdir, args.timeout) for c in cases]
            results = []
            for i, fut in enumerate(futures, 1):
                r = fut.result()
                results.append(r)
                print(f"[{i:>3}/{len(cases)}] {r.case.id:<44} {r.verdict or 'not run':<8} {r.outcome:<13} "
                      f"{r.seconds:5.1f} s", file=sys.stderr, flush=True)
    finally:
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)
    figures = summarise(results)
    figures["golfcheck"] = args.golfcheck
    figures["wall_seconds"] = round(time.perf_counter() - t0, 1)
    sys.stdout.write(format_figures(figures))
    print(f"wall time {figures['wall_seconds']:.1f} s with {args.jobs} job(s)")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
