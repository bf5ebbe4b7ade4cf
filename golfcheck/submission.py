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
# Files that are never logs or model artifacts, whatever they contain.
NOT_LOG_SUFFIXES = (".py", ".md", ".json", ".sh", ".toml", ".yaml", ".yml", ".cfg", ".ini", ".ipynb", ".csv",
                    ".tsv", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".pdf", ".model", ".vocab", ".html")
MODEL_SUFFIXES = (".ptz", ".pt", ".pth", ".bin", ".br", ".brotli", ".xz", ".lzma", ".zst", ".zstd", ".zlib",
                  ".z", ".lrz", ".int8", ".int6", ".safetensors", ".npz")
REQUIRED = ("README.md", "submission.json", "train_gpt.py")


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
    json_files: list[TextFile] = field(default_factory=list)  # every top-level submission*.json
    model_files: list[Path] = field(default_factory=list)  # compressed model artifacts (magic bytes / name)

    def missing(self) -> list[str]:
        """Required files this folder lacks (README.md, submission.json, train_gpt.py, a log)."""
        have = {f.rel for f in self.code_files}
        out = []
        if self.readme is None:
            out.append("README.md")
        if self.submission_json_file is None or self.submission_json_file.rel != "submission.json":
            out.append("submission.json")
        if "train_gpt.py" not in have:
            out.append("train_gpt.py")
        if not self.logs:
            out.append("train log")
        return out

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


def _sniff_model(path: Path) -> bool:
    """A compressed model artifact: known compressor magic bytes, or a model-like file name."""
    name = path.name.lower()
    if name.endswith(MODEL_SUFFIXES) or name.startswith("final_model"):
        return True
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError:
        return False
    try:
        from golfcheck.decompress import sniff

        kind = sniff(head)
    except Exception:  # noqa: BLE001 - sniffing is best effort
        kind = None
    return kind in ("zstd", "xz", "lrzip", "zlib", "lzma-alone") and len(head) >= 4


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
            sub.json_files.append(tf)
            if sub.submission_json_file is None or name == "submission.json":
                sub.submission_json_file = tf
        elif RUN_SCRIPT.search(rel):
            sub.run_scripts.append(tf)
        elif name.endswith(".log") or (name.endswith(LOG_SUFFIXES) and name != "requirements.txt" and _looks_like_log(f)):
            sub.logs.append(tf)  # a *.log is a log even when unreadable: the checks report it
        elif not name.endswith(NOT_LOG_SUFFIXES + LOG_SUFFIXES + MODEL_SUFFIXES) and _looks_like_log(f):
            sub.logs.append(tf)  # a log by content: train.out, stdout, nohup.out, ...
        else:
            sub.other_files.append(f)
            if _sniff_model(f):
                sub.model_files.append(f)
    sub.code_files.sort(key=lambda t: (t.rel != "train_gpt.py", "/" in t.rel, t.rel))
    return sub
