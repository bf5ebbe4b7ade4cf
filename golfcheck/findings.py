"""Findings, severities and the submission verdict.

Columns are stored 0-based (as libcst reports them); formatters convert to 1-based in one place
(:func:`Finding.to_dict`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from typing import Iterable


class Severity(str, enum.Enum):
    """How bad a finding is. ``error`` = ILLEGAL, ``warning`` = HOLD, ``note`` = recognised pattern."""

    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"

    @property
    def rank(self) -> int:
        return {"error": 3, "warning": 2, "note": 1}[self.value]

    @classmethod
    def parse(cls, text: str) -> "Severity":
        try:
            return cls(text.lower())
        except ValueError:
            raise ValueError(f"unknown severity {text!r} (expected error, warning or note)") from None


class Verdict(str, enum.Enum):
    CLEAN = "CLEAN"
    HOLD = "HOLD"
    ILLEGAL = "ILLEGAL"


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem (or recognised pattern) at one place.

    ``path`` is relative to the audited root where possible. ``line`` is 1-based; ``column`` is
    0-based. ``in_payload`` marks a line number that refers to the decoded payload of a compressed
    wrapper shipped as ``path``. ``ruling`` names what the finding rests on (a PR, issue or README
    rule, with a link).
    """

    rule: str
    severity: Severity
    path: str
    line: int
    column: int
    message: str
    ruling: str = ""
    end_line: int | None = None
    end_column: int | None = None
    in_payload: bool = False
    suppressed: bool = False
    evidence: str = ""  # e.g. the file the evidence came from when it is not `path`

    def with_severity(self, severity: Severity, note: str = "") -> "Finding":
        message = self.message if not note else f"{self.message} ({note})"
        return replace(self, severity=severity, message=message)

    @property
    def location(self) -> str:
        where = f"{self.path}:{self.line}:{self.column + 1}"
        return where + (" (decoded payload)" if self.in_payload else "")

    def to_dict(self) -> dict:
        """JSON form; the audit contract fields first, columns 1-based."""
        return {
            "rule": self.rule,
            "severity": self.severity.value,
            "path": self.path,
            "line": max(1, self.line),
            "column": max(1, self.column + 1),
            "message": self.message,
            "ruling": self.ruling,
            "end_line": self.end_line,
            "end_column": None if self.end_column is None else self.end_column + 1,
            "in_payload": self.in_payload,
            "suppressed": self.suppressed,
            "evidence": self.evidence,
        }


def sort_key(f: Finding):
    return (f.path, f.line, f.column, f.rule, f.message)


def verdict(findings: Iterable[Finding]) -> Verdict:
    """ILLEGAL if any error, else HOLD if any warning, else CLEAN (suppressed findings are ignored)."""
    worst = 0
    for f in findings:
        if not f.suppressed:
            worst = max(worst, f.severity.rank)
    return {3: Verdict.ILLEGAL, 2: Verdict.HOLD}.get(worst, Verdict.CLEAN)


def fails(findings: Iterable[Finding], fail_on: str) -> bool:
    """True if some unsuppressed finding is at or above ``fail_on`` (error|warning|note|never)."""
    if fail_on == "never":
        return False
    threshold = Severity.parse(fail_on).rank
    return any(f.severity.rank >= threshold for f in findings if not f.suppressed)


@dataclass
class Report:
    """Everything one command found: findings plus named measurement sections.

    ``sections`` holds JSON-ready dicts (e.g. ``{"size": {...}, "logs": {...}}``); the check and gate
    commands nest them by name in their JSON output.
    """

    findings: list[Finding] = field(default_factory=list)
    sections: dict[str, dict] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> Verdict:
        return verdict(self.findings)

    def extend(self, findings: Iterable[Finding]) -> None:
        self.findings.extend(findings)

    def to_dict(self) -> dict:
        out = {
            "verdict": self.verdict.value,
            "files": list(self.files),
            "findings": [f.to_dict() for f in sorted(self.findings, key=sort_key)],
        }
        out.update(self.sections)
        return out
