"""What is on disk in a submission folder: code, logs, submission.json, README, artifacts.

Loading never executes anything and never reads more than a capped number of bytes per file.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from golfcheck.errors import GolfcheckError

MAX_TEXT_BYTES = 64 * 1024 * 1024  # a log or script bigger than this is not read whole
TRACKS = ("track_10min_16mb", "track_non_record_16mb")
LOG_SUFFIXES = (".log", ".txt")
RUN_SCRIPT = re.compile(r"(^|/)(run[^/]*|setup[^/]*|launch[^/]*)\.sh$")
SKIP_DIRS = {".git", "__pycache__", ".venv", "node_modules"}
# A log is recognised by content, not only by name: any of these markers in its first 256 KiB.
LOG_MARKERS = re.compile(
    r"(val_bpb|val_loss|train_loss|stopping_early|Serialized model|Total submission size|step:\d+/\d+)"
)


@dataclass(frozen=True)
class TextFile:
    """A text file of the folder: path relative to the folder root and its decoded text."""

    rel: str
    path: Path

    @cached_property
    def text(self) -> str:
        return read_text(self.path)


def read_text(path: Path, limit: int = MAX_TEXT_BYTES) -> str:
    """Read at most ``limit`` bytes as UTF-8 (invalid bytes replaced)."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(limit)
    except OSError as exc:
        raise GolfcheckError(f"cannot read: {exc.strerror or exc}", str(path)) from None
    return data.decode("utf-8", errors="replace")


@dataclass
class Submission:
    """A submission folder (or a single file, then ``root`` is its parent and only it is code)."""

    root: Path
    code_files: list[TextFile] = field(default_factory=list)  # *.py, counted file first
    logs: list[TextFile] = field(default_factory=list)
    readme: TextFile | None = None
    submission_json_file: TextFile | None = None
    run_scripts: list[TextFile] = field(default_factory=list)
    other_files: list[Path] = field(default_factory=list)

    @property
    def counted_file(self) -> TextFile | None:
        """The counted code file: ``train_gpt.py`` if present, else the first ``train*.py``."""
        for f in self.code_files:
            if f.rel == "train_gpt.py":
                return f
        for f in self.code_files:
            if "/" not in f.rel and f.rel.startswith("train") and f.rel.endswith(".py"):
                return f
        return None

    @cached_property
    def submission_json(self) -> dict | None:
        if self.submission_json_file is None:
            return None
        try:
            data = json.loads(self.submission_json_file.text)
        except json.JSONDecodeError:
            return None
        return data if isinstance(data, dict) else None

    @property
    def track(self) -> str | None:
        for part in reversed(self.root.resolve().parts):
            if part in TRACKS:
                return part
        return None


def _looks_like_log(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            head = fh.read(256 * 1024)
    except OSError:
        return False
    if b"\x00" in head:
        return False
    return bool(LOG_MARKERS.search(head.decode("utf-8", errors="replace")))


def load_submission(path: str | Path) -> Submission:
    """Inventory a folder (or a single file). Raises GolfcheckError for a missing path."""
    p = Path(path)
    if not p.exists():
        raise GolfcheckError("no such file or folder", str(path))
    if p.is_file():
        sub = Submission(root=p.parent)
        sub.code_files.append(TextFile(p.name, p))
        return sub
    sub = Submission(root=p)
    for f in sorted(p.rglob("*")):
        rel_parts = f.relative_to(p).parts
        if any(part in SKIP_DIRS for part in rel_parts) or f.is_symlink() or not f.is_file():
            continue
        rel = "/".join(rel_parts)
        name = f.name.lower()
        tf = TextFile(rel, f)
        if name.endswith(".py"):
            sub.code_files.append(tf)
        elif name == "readme.md" and "/" not in rel:
            sub.readme = tf
        elif name.startswith("submission") and name.endswith(".json") and "/" not in rel:
            if sub.submission_json_file is None or name == "submission.json":
                sub.submission_json_file = tf
        elif RUN_SCRIPT.search(rel):
            sub.run_scripts.append(tf)
        elif name.endswith(LOG_SUFFIXES) and name != "requirements.txt" and _looks_like_log(f):
            sub.logs.append(tf)
        else:
            sub.other_files.append(f)
    sub.code_files.sort(key=lambda t: (t.rel != "train_gpt.py", "/" in t.rel, t.rel))
    return sub
