"""Extract the Python files every Parameter Golf PR added under ``records/`` into a corpus folder.

    python benchmarks/extract_pr_corpus.py MIRROR_GIT_DIR OUT_DIR [--with-evidence] [--limit N]

MIRROR_GIT_DIR is a (bare) clone of the challenge repository that has every PR head as
``refs/pull/N/head``. For each PR, the files it added (``git diff --diff-filter=A`` from its merge
base with HEAD) under ``records/`` are written to ``OUT_DIR/pr<N>/<path below records/>``, so each
submission folder keeps its layout (sibling exec stubs and local imports still resolve). A record
folder whose files are byte-identical to one already extracted (the same PR pushed again, or a
resubmission) is skipped. ``--with-evidence`` also extracts README.md, submission.json and run
scripts (not logs). Nothing here executes the extracted code; the output never belongs inside the
golfcheck checkout.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path, PurePosixPath

EVIDENCE = ("README.md", "submission.json")


def git(mirror: Path, *args: str) -> bytes:
    return subprocess.run(["git", "--git-dir", str(mirror), *args], check=True, capture_output=True).stdout


def pull_numbers(mirror: Path) -> list[int]:
    refs = git(mirror, "for-each-ref", "--format=%(refname)", "refs/pull/").decode().split()
    out = []
    for ref in refs:
        parts = ref.split("/")
        if len(parts) == 4 and parts[3] == "head" and parts[2].isdigit():
            out.append(int(parts[2]))
    return sorted(out)


def added_files(mirror: Path, base: str, head: str) -> list[tuple[str, str]]:
    """(path, blob id) of every file added under records/ between ``base`` and ``head``."""
    raw = git(mirror, "diff", "--raw", "-z", "--no-renames", "--diff-filter=A", base, head, "--", "records/")
    fields = raw.split(b"\0")
    out = []
    for meta, path in zip(fields[0::2], fields[1::2]):
        if not meta.startswith(b":"):
            continue
        parts = meta.split()
        mode, blob = parts[1].decode(), parts[3].decode()
        if mode.startswith("120") or mode.startswith("160"):  # symlinks and submodules carry no code
            continue
        out.append((path.decode("utf-8", "surrogateescape"), blob))
    return out


def wanted(path: str, evidence: bool) -> bool:
    name = PurePosixPath(path).name
    if name.endswith(".py"):
        return True
    return evidence and (name in EVIDENCE or name.endswith(".sh"))


def record_folder(path: str) -> str:
    """``records/<track>/<folder>`` for files inside a record folder, else the file's parent."""
    parts = PurePosixPath(path).parts
    return "/".join(parts[:3]) if len(parts) > 3 else str(PurePosixPath(path).parent)


class BlobReader:
    """One long-lived ``git cat-file --batch`` process."""

    def __init__(self, mirror: Path):
        self.proc = subprocess.Popen(["git", "--git-dir", str(mirror), "cat-file", "--batch"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def read(self, blob: str) -> bytes:
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(blob.encode() + b"\n")
        self.proc.stdin.flush()
        header = self.proc.stdout.readline().split()
        if len(header) < 3 or header[1] != b"blob":
            raise KeyError(blob)
        size = int(header[2])
        data = self.proc.stdout.read(size)
        self.proc.stdout.read(1)  # trailing newline
        return data

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("mirror", type=Path, help="git dir of the challenge repository with refs/pull/N/head")
    ap.add_argument("out", type=Path, help="output folder (created)")
    ap.add_argument("--with-evidence", action="store_true", help="also README.md, submission.json, *.sh")
    ap.add_argument("--limit", type=int, default=0, help="only the first N pull requests (for a quick run)")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    head = git(args.mirror, "rev-parse", "HEAD").decode().strip()
    prs = pull_numbers(args.mirror)
    if args.limit:
        prs = prs[: args.limit]
    args.out.mkdir(parents=True, exist_ok=True)
    reader = BlobReader(args.mirror)
    seen_folders: set[frozenset[tuple[str, str]]] = set()
    n_files = n_bytes = n_prs = n_dup = n_err = 0
    try:
        for n in prs:
            ref = f"refs/pull/{n}/head"
            try:
                base = git(args.mirror, "merge-base", head, ref).decode().strip()
                files = [(p, b) for p, b in added_files(args.mirror, base, ref) if wanted(p, args.with_evidence)]
            except subprocess.CalledProcessError:
                n_err += 1  # no merge base (unrelated history) or a missing object
                continue
            by_folder: dict[str, list[tuple[str, str]]] = {}
            for path, blob in files:
                by_folder.setdefault(record_folder(path), []).append((path, blob))
            wrote = False
            for folder, members in sorted(by_folder.items()):
                if not any(p.endswith(".py") for p, _ in members):
                    continue
                key = frozenset((p[len(folder):], b) for p, b in members)
                if key in seen_folders:
                    n_dup += 1
                    continue
                seen_folders.add(key)
                for path, blob in members:
                    rel = PurePosixPath(path).relative_to("records")
                    if any(part in ("..", "") for part in rel.parts):
                        continue
                    target = args.out / f"pr{n}" / rel
                    target.parent.mkdir(parents=True, exist_ok=True)
                    data = reader.read(blob)
                    target.write_bytes(data)
                    n_files += path.endswith(".py")
                    n_bytes += len(data) if path.endswith(".py") else 0
                    wrote = True
            n_prs += wrote
    finally:
        reader.close()
    dt = time.perf_counter() - t0
    print(f"{len(prs)} pull requests scanned, {n_prs} with record code; {n_files} .py files, "
          f"{n_bytes / 1e6:.1f} MB; {n_dup} duplicate folders skipped; {n_err} refs without a merge base; {dt:.1f} s",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
