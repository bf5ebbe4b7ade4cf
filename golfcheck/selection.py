"""Which findings a command reports: ``select``, ``ignore`` and ``per-file-ignores``, and the check that
every rule id or prefix a person typed names something in the catalogue.

A mistyped id must never turn a gate green: ``--select BOGUS`` would select nothing and pass, and
``ignore = ["GC999"]`` would hide nothing while looking like it does. So every id or prefix given on
the command line or in ``[tool.golfcheck]`` is checked against the catalogue; an unknown one is a
usage error (exit 2) that names it and suggests the nearest real id.

Internal errors (:data:`INTERNAL`, a rule or the engine crashed) are never selected away.
"""

from __future__ import annotations

import difflib
import fnmatch
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Iterable

from golfcheck.errors import GolfcheckError

INTERNAL = "GC000"  # an internal error: a rule or the engine raised; the run's exit code is 2


def is_internal(f) -> bool:
    """An internal error (exit 2). GC000 notes are the tool's own remarks about how it judged the
    input (e.g. --history on a folder that was never merged), not failures."""
    return f.rule == INTERNAL and f.severity.value != "note"


def known_ids() -> list[str]:
    """Every rule id of the catalogue (the catalogue is read at call time)."""
    from golfcheck.rules import all_rules

    return sorted({r.id for r in all_rules()})


def _prefixes(ids: Iterable[str]) -> set[str]:
    return {i[:n] for i in ids for n in range(1, len(i) + 1)}


CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})


def suggestion(code: str, ids: Iterable[str] | None = None) -> str:
    """`` (did you mean GC107?)`` for the nearest catalogue id or prefix, or ``""`` when none is near:
    a letter typed for a digit first (GC1O1), then one changed character, then difflib's nearest."""
    ids = sorted(ids if ids is not None else known_ids())
    code = code.upper()
    fixed = code.translate(CONFUSABLE)
    if fixed != code and fixed in _prefixes(ids):
        return f" (did you mean {fixed}?)"
    one_off = [i for i in ids if len(i) == len(code) and sum(a != b for a, b in zip(i, code)) == 1]
    near = one_off or difflib.get_close_matches(code, ids, n=1, cutoff=0.6)
    return f" (did you mean {near[0]}?)" if near else ""


def unknown(codes: Iterable[str], ids: Iterable[str] | None = None, prefixes: bool = True) -> list[str]:
    """The codes that name no rule (with ``prefixes``, also none that starts a rule id)."""
    ids = list(ids if ids is not None else known_ids())
    valid = _prefixes(ids) if prefixes else set(ids)
    return [c for c in codes if c.upper() not in valid]


def check_codes(codes: Iterable[str], where: str, what: str) -> tuple[str, ...]:
    """Upper-cased ``codes``; a GolfcheckError naming ``where`` (a file or a flag) for the first
    unknown one. ``what`` says which setting it was (e.g. ``--select`` or ``[tool.golfcheck] ignore``)."""
    codes = tuple(c.strip().upper() for c in codes if c and c.strip())
    ids = known_ids()
    bad = unknown(codes, ids)
    if bad:
        raise GolfcheckError(
            f"{what}: unknown rule id or prefix {bad[0]!r}{suggestion(bad[0], ids)}; `golfcheck rules` lists the ids",
            where)
    return codes


def selected(rule_id: str, select: Iterable[str] = (), ignore: Iterable[str] = ()) -> bool:
    """``select`` empty = every rule; ``ignore`` wins over ``select``; both match by prefix."""
    if rule_id == INTERNAL:
        return True
    sel = [s.upper() for s in select if s]
    if sel and not any(rule_id.startswith(s) for s in sel):
        return False
    return not any(rule_id.startswith(s.upper()) for s in ignore if s)


@dataclass(frozen=True)
class Selection:
    """The effective selection of one command: configuration merged with its flags.

    ``per_file_ignores`` holds (glob pattern, ids) pairs; a pattern matches a finding's path relative
    to ``base`` (the folder of the configuration file) or the path as reported, or its file name.
    """

    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    base: Path | None = None

    def _candidates(self, path: str) -> list[str]:
        posix = path.replace(os.sep, "/")
        out = [posix, PurePosixPath(posix).name]
        if self.base is not None:
            try:
                rel = os.path.relpath(os.path.abspath(path), os.path.abspath(self.base))
            except ValueError:  # another drive (Windows)
                rel = ""
            if rel and not rel.startswith(".."):
                out.append(rel.replace(os.sep, "/"))
        return out

    def keeps(self, rule_id: str, path: str = "") -> bool:
        if not selected(rule_id, self.select, self.ignore):
            return False
        if rule_id == INTERNAL or not self.per_file_ignores or not path:
            return True
        names = self._candidates(path)
        for pattern, ids in self.per_file_ignores:
            if any(rule_id.startswith(i) for i in ids) and any(fnmatch.fnmatchcase(n, pattern) for n in names):
                return False
        return True

    def apply(self, findings: Iterable) -> list:
        return [f for f in findings if self.keeps(f.rule, f.path)]
