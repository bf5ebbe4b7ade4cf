"""Where a finding's file is, for tools that read it from another folder: GitHub and SARIF want
paths relative to the repository root, whatever path golfcheck was given."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path


def repository_root(start: str | Path) -> Path:
    """The nearest folder at or above ``start`` holding ``.git`` (a folder, or a file in a worktree);
    ``start`` itself when there is none."""
    return _root(os.path.abspath(start))


@lru_cache(maxsize=16)
def _root(start: str) -> Path:
    here = Path(start)
    for d in (here, *here.parents):
        if (d / ".git").exists():
            return d
    return here


def locate(path: str, base: str | Path | None = None, root: str | Path | None = None) -> tuple[str, bool]:
    """(``path`` relative to ``root`` in POSIX form, True) when it lies inside ``root``, else
    (the absolute path, False). A relative ``path`` is relative to ``base`` (default the current
    folder); ``root`` defaults to the repository that holds ``base``."""
    base = os.path.abspath(base if base is not None else os.getcwd())
    root = os.path.abspath(root) if root is not None else str(repository_root(base))
    full = os.path.normpath(os.path.join(base, path))
    rel = os.path.relpath(full, root)
    if rel == os.curdir or rel.startswith(os.pardir + os.sep) or rel == os.pardir or os.path.isabs(rel):
        return full, False
    return rel.replace(os.sep, "/"), True
