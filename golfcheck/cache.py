"""A content-hash cache of audit results, for pre-commit hooks and editors that audit the same
unchanged file again and again.

The key is a hash of everything the result depends on: the bytes and names of every file of the
unit (for a lone file, every file below its folder, since it may import or exec any of them), the
options that change findings, and golfcheck's own code and rule set. A changed byte anywhere is a
miss. Entries are JSON files under ``$GOLFCHECK_CACHE_DIR`` (else ``$XDG_CACHE_HOME/golfcheck``,
else ``~/.cache/golfcheck``); ``GOLFCHECK_NO_CACHE=1`` or ``--no-cache`` turns it off. A cache that
cannot be read or written is simply not used.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path

FORMAT = 1
MAX_ENTRIES = 4000


def directory() -> Path | None:
    if os.environ.get("GOLFCHECK_NO_CACHE", "") not in ("", "0"):
        return None
    base = os.environ.get("GOLFCHECK_CACHE_DIR")
    if base:
        return Path(base)
    xdg = os.environ.get("XDG_CACHE_HOME")
    root = Path(xdg) if xdg else Path.home() / ".cache"
    return root / "golfcheck"


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """golfcheck's own code, rules, schemas and templates: results of another version never match."""
    import golfcheck

    h = hashlib.sha256(f"format {FORMAT} version {golfcheck.__version__}".encode())
    pkg = Path(golfcheck.__file__).resolve().parent
    roots = [pkg]
    try:
        from importlib import resources

        for name in ("golfcheck.rules", "golfcheck.templates"):
            p = Path(str(resources.files(name)))
            if p.resolve() not in [r.resolve() for r in roots]:
                roots.append(p)
    except (ModuleNotFoundError, TypeError):
        pass
    for root in roots:
        for p in sorted(root.rglob("*")):
            if p.suffix in (".py", ".json", ".j2") and "__pycache__" not in p.parts and "data" not in p.relative_to(root).parts[:1]:
                h.update(str(p.relative_to(root)).encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


def key(content: str, options: dict, rules: tuple[str, ...]) -> str:
    h = hashlib.sha256()
    h.update(code_fingerprint().encode())
    h.update(json.dumps(options, sort_keys=True, default=str).encode())
    h.update("\0".join(rules).encode())
    h.update(content.encode())
    return h.hexdigest()


def _path(k: str) -> Path | None:
    d = directory()
    return None if d is None else d / f"v{FORMAT}" / k[:2] / f"{k}.json"


def load(k: str) -> dict | None:
    p = _path(k)
    if p is None:
        return None
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("key") == k else None


def store(k: str, payload: dict) -> None:
    p = _path(k)
    if p is None:
        return
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp = p.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"key": k, **payload}), encoding="utf-8")
        os.replace(tmp, p)
        _prune(p.parent.parent)
    except OSError:
        pass


def _prune(root: Path) -> None:
    """Keep the cache bounded: past MAX_ENTRIES, drop the oldest tenth."""
    try:
        entries = list(root.glob("*/*.json"))
        if len(entries) <= MAX_ENTRIES:
            return
        entries.sort(key=lambda p: p.stat().st_mtime)
        for p in entries[: len(entries) // 10]:
            p.unlink(missing_ok=True)
    except OSError:
        pass
