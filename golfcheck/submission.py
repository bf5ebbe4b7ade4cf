"""What is on disk in a submission folder: code, logs, submission.json, README, artifacts.

Loading never executes anything and never reads more than a capped number of bytes per file. Only
regular files are inventoried: a FIFO, socket or device in the folder is skipped (opening a FIFO
would block until the unit's timeout).
"""

from __future__ import annotations

import json
import math
import re
import stat
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
MAX_JSON_BYTES = 4 * 1024 * 1024  # a submission.json bigger than this is not parsed (real ones: under 10 KB)
MAX_JSON_DEPTH = 64  # nesting of arrays/objects (real submission.json files: 4)
MAX_JSON_DIGITS = 300  # an integer longer than this overflows a float (what every check converts it to)


def is_regular(path: Path) -> bool:
    """A regular file that is not a symlink (FIFOs, sockets and devices are never opened)."""
    try:
        return stat.S_ISREG(path.lstat().st_mode)
    except OSError:
        return False


@dataclass(frozen=True)
class JsonLoad:
    """A parsed submission.json: ``data``, or ``problem`` (a phrase, e.g. "not valid JSON: ...") and
    the 1-based ``line`` it is at."""

    data: object | None
    problem: str = ""
    line: int = 1


class _JsonRefused(ValueError):
    def __init__(self, message: str, token: str):
        super().__init__(message)
        self.token = token


_JSON_STRING = re.compile(r'"(?:[^"\\]++|\\.)*+"')
_JSON_BRACKET = re.compile(r"[\[\]{}]")


def _json_depth(text: str, limit: int) -> tuple[int, int]:
    """Deepest array/object nesting of JSON text, counted outside strings, stopping past ``limit``:
    (depth, offset where it passed the limit or 0)."""
    depth = best = 0
    for m in _JSON_BRACKET.finditer(_JSON_STRING.sub('""', text)):
        if m.group() in "[{":
            depth += 1
            if depth > best:
                best = depth
                if best > limit:
                    return best, m.start()
        elif depth:
            depth -= 1
    return best, 0


_JSON_KEY_BEFORE = re.compile(r'"([^"\\\n]{1,80})"\s*:\s*$')


def _token_at(text: str, token: str) -> int:
    """Offset of ``token`` as a value (after ``:``, ``[`` or ``,``), else of its first occurrence."""
    m = re.search(r"[:\[,]\s*(" + re.escape(token) + r")", text)
    return m.start(1) if m else text.find(token)


def parse_json(text: str) -> JsonLoad:
    """Parse submission.json text safely: never raises, whatever the content.

    Refused (a ``problem`` naming what and where): syntax errors, nesting deeper than
    ``MAX_JSON_DEPTH``, ``NaN``/``Infinity`` (not JSON numbers, though Python's json reads them),
    integers too long to convert to a float and floats that overflow to infinity. Range checks of
    the values themselves (negative, above 2**53) belong to the schema, not to the loader.
    """
    depth, where = _json_depth(text, MAX_JSON_DEPTH)
    if depth > MAX_JSON_DEPTH:
        return JsonLoad(None, f"not valid JSON for golfcheck: nested more than {MAX_JSON_DEPTH} levels deep",
                        text.count("\n", 0, where) + 1)

    def constant(name: str):
        raise _JsonRefused(f"{name} is not a JSON number", name)

    def integer(digits: str) -> int:
        if len(digits.lstrip("-")) > MAX_JSON_DIGITS:
            raise _JsonRefused(f"an integer of {len(digits.lstrip('-')):,} digits is out of range "
                               f"(more than {MAX_JSON_DIGITS})", digits)
        return int(digits)

    def real(digits: str) -> float:
        value = float(digits)
        if not math.isfinite(value):
            raise _JsonRefused(f"the number {digits[:24]}{'...' if len(digits) > 24 else ''} overflows a float", digits)
        return value

    try:
        return JsonLoad(json.loads(text, parse_constant=constant, parse_int=integer, parse_float=real))
    except json.JSONDecodeError as exc:
        return JsonLoad(None, f"not valid JSON: {exc.msg} (line {exc.lineno} column {exc.colno})", exc.lineno)
    except _JsonRefused as exc:
        at = _token_at(text, exc.token)
        key = _JSON_KEY_BEFORE.search(text, max(0, at - 200), at) if at >= 0 else None
        where = f" (at {key.group(1)!r})" if key else ""
        return JsonLoad(None, f"not valid JSON: {exc}{where}", text.count("\n", 0, at) + 1 if at >= 0 else 1)
    except (RecursionError, ValueError, OverflowError, MemoryError) as exc:
        return JsonLoad(None, f"not valid JSON ({type(exc).__name__})")


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
    def json_load(self) -> JsonLoad | None:
        """submission.json parsed safely (see :func:`parse_json`); None when the folder has none."""
        f = self.submission_json_file
        if f is None:
            return None
        try:
            size = f.path.stat().st_size
        except OSError as exc:
            return JsonLoad(None, f"cannot be read: {exc.strerror or exc}")
        if size > MAX_JSON_BYTES:
            return JsonLoad(None, f"too large to be a submission.json ({size:,} bytes; the limit is {MAX_JSON_BYTES:,})")
        try:
            text = f.text
        except GolfcheckError as exc:
            return JsonLoad(None, exc.problem)
        return parse_json(text)

    @cached_property
    def submission_json(self) -> dict | None:
        """The parsed object, or None when it is missing, not valid JSON or not an object."""
        loaded = self.json_load
        data = loaded.data if loaded is not None else None
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
        if any(part in SKIP_DIRS for part in rel_parts) or not is_regular(f):
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
