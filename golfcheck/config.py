"""``[tool.golfcheck]`` in the nearest pyproject.toml; command-line flags override it.

Configuration is never read from inside an audited submission: a pyproject.toml in (or below) a
folder being audited, or in a folder that looks like a submission (README.md or submission.json
next to a ``train*.py``), is skipped and the search goes on above it. Otherwise a submission could
ship ``[tool.golfcheck] ignore = ["GC1"]`` and have ``golfcheck audit .`` obey it. ``--config``
names a file explicitly and is always read.

Every command reads the same table (``golfcheck gate`` reads it from the base revision: the PR's own
pyproject.toml is untrusted). Rule ids and prefixes are checked against the catalogue, so a typo is a
usage error instead of a selection that silently selects or ignores nothing.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from golfcheck.errors import GolfcheckError

DEFAULT_UNIT_TIMEOUT = 300.0  # seconds per file or folder; the slowest real file audits in well under a minute
DEFAULT_UNIT_MEMORY_MB = 1024.0  # MiB one file or folder may allocate; the largest merged record needs ~120

CODE_KEYS = ("select", "ignore", "extend-select", "extend-ignore")
KEYS = {*CODE_KEYS, "per-file-ignores", "fail-on", "respect-suppressions", "jobs", "timeout", "memory"}
FAIL_ON = ("error", "warning", "note", "never")


@dataclass
class Config:
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    extend_ignore: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    fail_on: str = "error"
    respect_suppressions: bool = False
    jobs: int = 1
    timeout: float = DEFAULT_UNIT_TIMEOUT
    memory: float = DEFAULT_UNIT_MEMORY_MB
    path: Path | None = None

    def selection(self, select: tuple[str, ...] = (), ignore: tuple[str, ...] = ()):
        """The effective :class:`~golfcheck.selection.Selection`: ``--select`` replaces the configured
        selection (``select`` plus ``extend-select``); ``--ignore`` adds to ``ignore`` and ``extend-ignore``."""
        from golfcheck.selection import Selection

        chosen = tuple(select) or ((*self.select, *self.extend_select) if self.select else ())
        return Selection(chosen, (*self.ignore, *self.extend_ignore, *ignore), self.per_file_ignores,
                         self.path.parent if self.path is not None else None)


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
    from golfcheck.selection import check_codes

    return check_codes(value, str(path), f"[tool.golfcheck] {key}")


def _per_file_ignores(value, path: Path) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if not isinstance(value, dict):
        raise GolfcheckError('[tool.golfcheck] per-file-ignores must be a table of "glob" = [rule ids]', str(path))
    return tuple((pattern, _codes(codes, f"per-file-ignores {pattern!r}", path)) for pattern, codes in value.items())


def load_config(explicit: str | None = None, start: Path | None = None, audited=()) -> Config:
    """Read the configuration; a bad file or key is a GolfcheckError (exit 2) naming the file.

    ``audited``: the paths about to be audited (their pyproject.toml files are never read)."""
    path = Path(explicit) if explicit else find_pyproject(start or Path.cwd(), audited)
    if path is None:
        return Config()
    if explicit and not path.is_file():
        raise GolfcheckError("configuration file not found", str(path))
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise GolfcheckError(f"cannot read configuration: {exc}", str(path)) from None
    return parse_config(text, path)


def parse_config(text: str, path: Path, label: str | None = None) -> Config:
    """The ``[tool.golfcheck]`` table of a pyproject.toml's text. ``path``: the file it stands for
    (per-file-ignores are relative to its folder); ``label``: how errors name it (default ``path``)."""
    where = label or str(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise GolfcheckError(f"invalid TOML: {' '.join(str(exc).split())}", where) from None
    table = data.get("tool", {}).get("golfcheck")
    if table is None:
        return Config(path=None)
    if not isinstance(table, dict):
        raise GolfcheckError("[tool.golfcheck] must be a table", where)
    unknown = sorted(set(table) - KEYS)
    if unknown:
        raise GolfcheckError(f"unknown key {unknown[0]!r} in [tool.golfcheck] (known: {', '.join(sorted(KEYS))})", where)
    cfg = Config(path=path)
    for key in CODE_KEYS:
        if key in table:
            setattr(cfg, key.replace("-", "_"), _codes(table[key], key, where))
    if "per-file-ignores" in table:
        cfg.per_file_ignores = _per_file_ignores(table["per-file-ignores"], where)
    if "fail-on" in table:
        if table["fail-on"] not in FAIL_ON:
            raise GolfcheckError(f"[tool.golfcheck] fail-on must be one of {', '.join(FAIL_ON)}", where)
        cfg.fail_on = table["fail-on"]
    if "respect-suppressions" in table:
        if not isinstance(table["respect-suppressions"], bool):
            raise GolfcheckError("[tool.golfcheck] respect-suppressions must be true or false", where)
        cfg.respect_suppressions = table["respect-suppressions"]
    if "jobs" in table:
        if not isinstance(table["jobs"], int) or isinstance(table["jobs"], bool) or table["jobs"] < 0:
            raise GolfcheckError("[tool.golfcheck] jobs must be a non-negative integer (0 = all cores)", where)
        cfg.jobs = table["jobs"]
    if "timeout" in table:
        value = table["timeout"]
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
            raise GolfcheckError("[tool.golfcheck] timeout must be a non-negative number of seconds (0 = no limit)", where)
        cfg.timeout = float(value)
    if "memory" in table:
        value = table["memory"]
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
            raise GolfcheckError("[tool.golfcheck] memory must be a non-negative number of MiB (0 = no cap)", where)
        cfg.memory = float(value)
    return cfg
