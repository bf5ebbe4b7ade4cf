"""``[tool.golfcheck]`` in the nearest pyproject.toml; command-line flags override it.

Configuration is never read from inside an audited submission: a pyproject.toml in (or below) a
folder being audited, or in a folder that looks like a submission (README.md or submission.json
next to a ``train*.py``), is skipped and the search goes on above it. Otherwise a submission could
ship ``[tool.golfcheck] ignore = ["GC1"]`` and have ``golfcheck audit .`` obey it. ``--config``
names a file explicitly and is always read.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from golfcheck.errors import GolfcheckError

DEFAULT_UNIT_TIMEOUT = 300.0  # seconds per file or folder; the slowest real file audits in well under a minute
DEFAULT_UNIT_MEMORY_MB = 1024.0  # MiB one file or folder may allocate; the largest merged record needs ~120

KEYS = {"select", "ignore", "fail-on", "respect-suppressions", "format", "jobs", "limits", "history", "timeout", "memory"}
LIMIT_KEYS = {"artifact-bytes", "train-seconds", "eval-seconds", "min-seeds"}
FAIL_ON = ("error", "warning", "note", "never")
FORMATS = ("text", "json", "sarif", "github")  # as golfcheck.formatters.FORMATS (not imported: keeps config light)


@dataclass
class Config:
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    fail_on: str = "error"
    respect_suppressions: bool = False
    format: str = "text"
    jobs: int = 1
    timeout: float = DEFAULT_UNIT_TIMEOUT
    memory: float = DEFAULT_UNIT_MEMORY_MB
    history: bool = False
    limits: dict = field(default_factory=dict)
    path: Path | None = None


def _looks_like_submission(d: Path) -> bool:
    try:
        names = {p.name for p in d.iterdir()}
    except OSError:
        return False
    return bool(names & {"README.md", "submission.json"}) and any(n.startswith("train") and n.endswith(".py") for n in names)


def _inside(d: Path, roots: list[Path]) -> bool:
    return any(d == r or r in d.parents for r in roots)


def find_pyproject(start: Path, audited=()) -> Path | None:
    """The nearest pyproject.toml at or above ``start`` that is not inside an audited path or a
    submission folder (see the module docstring)."""
    roots = []
    for a in audited:
        p = Path(a).resolve()
        roots.append(p if p.is_dir() else p.parent)
    for d in [start.resolve(), *start.resolve().parents]:
        candidate = d / "pyproject.toml"
        if not candidate.is_file():
            continue
        if _inside(d, roots) or _looks_like_submission(d):
            continue
        return candidate
    return None


def _codes(value, key: str, path: Path) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise GolfcheckError(f"[tool.golfcheck] {key} must be a list of rule ids or prefixes", str(path))
    return tuple(v.strip().upper() for v in value if v.strip())


def load_config(explicit: str | None = None, start: Path | None = None, audited=()) -> Config:
    """Read the configuration; a bad file or key is a GolfcheckError (exit 2) naming the file.

    ``audited``: the paths about to be audited (their pyproject.toml files are never read)."""
    path = Path(explicit) if explicit else find_pyproject(start or Path.cwd(), audited)
    if path is None:
        return Config()
    if explicit and not path.is_file():
        raise GolfcheckError("configuration file not found", str(path))
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise GolfcheckError(f"cannot read configuration: {exc}", str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise GolfcheckError(f"invalid TOML: {' '.join(str(exc).split())}", str(path)) from None
    table = data.get("tool", {}).get("golfcheck")
    if table is None:
        return Config(path=None)
    if not isinstance(table, dict):
        raise GolfcheckError("[tool.golfcheck] must be a table", str(path))
    unknown = sorted(set(table) - KEYS)
    if unknown:
        raise GolfcheckError(f"unknown key {unknown[0]!r} in [tool.golfcheck] (known: {', '.join(sorted(KEYS))})", str(path))
    cfg = Config(path=path)
    if "select" in table:
        cfg.select = _codes(table["select"], "select", path)
    if "ignore" in table:
        cfg.ignore = _codes(table["ignore"], "ignore", path)
    if "fail-on" in table:
        if table["fail-on"] not in FAIL_ON:
            raise GolfcheckError(f"[tool.golfcheck] fail-on must be one of {', '.join(FAIL_ON)}", str(path))
        cfg.fail_on = table["fail-on"]
    for key, attr in (("respect-suppressions", "respect_suppressions"), ("history", "history")):
        if key in table:
            if not isinstance(table[key], bool):
                raise GolfcheckError(f"[tool.golfcheck] {key} must be true or false", str(path))
            setattr(cfg, attr, table[key])
    if "format" in table:
        if table["format"] not in FORMATS:
            raise GolfcheckError(f"[tool.golfcheck] format must be one of {', '.join(FORMATS)}", str(path))
        cfg.format = table["format"]
    if "jobs" in table:
        if not isinstance(table["jobs"], int) or isinstance(table["jobs"], bool) or table["jobs"] < 0:
            raise GolfcheckError("[tool.golfcheck] jobs must be a non-negative integer (0 = all cores)", str(path))
        cfg.jobs = table["jobs"]
    if "timeout" in table:
        value = table["timeout"]
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
            raise GolfcheckError("[tool.golfcheck] timeout must be a non-negative number of seconds (0 = no limit)", str(path))
        cfg.timeout = float(value)
    if "memory" in table:
        value = table["memory"]
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
            raise GolfcheckError("[tool.golfcheck] memory must be a non-negative number of MiB (0 = no cap)", str(path))
        cfg.memory = float(value)
    if "limits" in table:
        limits = table["limits"]
        if not isinstance(limits, dict) or set(limits) - LIMIT_KEYS:
            raise GolfcheckError(f"[tool.golfcheck.limits] accepts only {', '.join(sorted(LIMIT_KEYS))}", str(path))
        cfg.limits = dict(limits)
    return cfg
