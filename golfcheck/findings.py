"""Findings, severities and the two verdicts.

Two questions, two answers (DESIGN.md, "Findings and verdicts"):

- the **rule verdict** answers "does the code or the run break a rule of the challenge?" It comes
  from findings of kind ``rule`` (GC0xx-GC5xx and GC601): ILLEGAL if any error, else HOLD if any
  warning, else CLEAN;
- the **paperwork verdict** answers "does the folder hold what a PR must show?" It comes from
  findings of kind ``paperwork`` (submission.json fields, seed evidence, logs, folder and PR layout):
  INCOMPLETE if any error, else COMPLETE. Paperwork never makes a submission ILLEGAL.

The headline ``verdict`` is the more urgent of the two: ILLEGAL, then INCOMPLETE, then HOLD, then
CLEAN. Columns are stored 0-based (as libcst reports them); formatters convert to 1-based in one
place (:func:`Finding.to_dict`).
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
    """The rule verdict (CLEAN/HOLD/ILLEGAL) and the headline, which may also be INCOMPLETE."""

    CLEAN = "CLEAN"
    HOLD = "HOLD"
    ILLEGAL = "ILLEGAL"
    INCOMPLETE = "INCOMPLETE"


class Paperwork(str, enum.Enum):
    """The paperwork verdict: does the folder hold what the challenge asks a PR to show?"""

    COMPLETE = "COMPLETE"
    INCOMPLETE = "INCOMPLETE"


RULE = "rule"
PAPERWORK = "paperwork"
KINDS = (RULE, PAPERWORK)


def rule_kind(rule_id: str) -> str:
    """The catalogue's kind of a rule id (``rule`` for ids outside the catalogue, e.g. GC000)."""
    from golfcheck.rules import get_rule  # lazy: the catalogue imports this module

    rule = get_rule(rule_id) if rule_id else None
    return getattr(rule, "kind", RULE) if rule is not None else RULE


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
    # ``rule`` or ``paperwork``; empty = the rule's own kind from the catalogue. A rule whose
    # findings are mostly of one kind may report some of the other (GC501: an artifact over the cap
    # is a rule finding, an artifact whose size nothing shows is paperwork).
    kind: str = ""
    # the normalised text the finding sits on (its enclosing function and source line), which SARIF
    # fingerprints hash instead of the line number: stable when unrelated lines move
    anchor: str = ""

    def __post_init__(self):
        if not self.kind:
            object.__setattr__(self, "kind", rule_kind(self.rule))
        elif self.kind not in KINDS:
            raise ValueError(f"unknown finding kind {self.kind!r}")

    @property
    def is_paperwork(self) -> bool:
        return self.kind == PAPERWORK

    def with_severity(self, severity: Severity, note: str = "") -> "Finding":
        message = self.message if not note else f"{self.message} ({note})"
        return replace(self, severity=severity, message=message)

    @property
    def location(self) -> str:
        """Where the finding is, as text output names it: ``path:line:col``, or, for a line of a
        decoded wrapper's payload (which the shipped file does not have), ``train_gpt.py (payload
        line 527)`` — `golfcheck decode train_gpt.py --lines 527` prints it."""
        if self.in_payload:
            return f"{self.path} (payload line {max(1, self.line)})"
        return f"{self.path}:{max(1, self.line)}:{max(1, self.column + 1)}"

    @property
    def short_location(self) -> str:
        """``path:line`` (or the payload form): the place without the column."""
        return self.location if self.in_payload else f"{self.path}:{max(1, self.line)}"

    def to_dict(self) -> dict:
        """JSON form; the audit contract fields first, columns 1-based."""
        return {
            "rule": self.rule,
            "severity": self.severity.value,
            "kind": self.kind,
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


def family(rule_id: str) -> str:
    """``GC1xx`` for GC101: the hundred-block of the catalogue a rule belongs to."""
    return rule_id[:3] + "xx" if len(rule_id) == 5 else rule_id


def sort_key(f: Finding):
    """The order of every output: errors first, rule findings before paperwork at the same severity,
    then by family and id, then by place."""
    return (-f.severity.rank, f.kind != RULE, f.rule, f.path, f.line, f.column, f.message)


def _worst(findings: Iterable[Finding], kind: str) -> int:
    return max((f.severity.rank for f in findings if not f.suppressed and f.kind == kind), default=0)


def rule_verdict(findings: Iterable[Finding]) -> Verdict:
    """ILLEGAL if any rule finding is an error, else HOLD if any is a warning, else CLEAN."""
    worst = _worst(findings, RULE)
    return {3: Verdict.ILLEGAL, 2: Verdict.HOLD}.get(worst, Verdict.CLEAN)


def paperwork_verdict(findings: Iterable[Finding]) -> Paperwork:
    """INCOMPLETE if any paperwork finding is an error, else COMPLETE."""
    return Paperwork.INCOMPLETE if _worst(findings, PAPERWORK) >= 3 else Paperwork.COMPLETE


def headline(rule: Verdict, paperwork: Paperwork | None) -> Verdict:
    """The more urgent of the two: ILLEGAL, INCOMPLETE, HOLD, CLEAN (None = paperwork not checked)."""
    if rule is Verdict.ILLEGAL:
        return rule
    if paperwork is Paperwork.INCOMPLETE:
        return Verdict.INCOMPLETE
    return rule


def verdict(findings: Iterable[Finding], paperwork_checked: bool = True) -> Verdict:
    """The headline verdict of a list of findings."""
    findings = list(findings)
    return headline(rule_verdict(findings), paperwork_verdict(findings) if paperwork_checked else None)


def fails(findings: Iterable[Finding], fail_on: str) -> bool:
    """True if some unsuppressed finding (rule or paperwork) is at or above ``fail_on``
    (error|warning|note|never)."""
    if fail_on == "never":
        return False
    threshold = Severity.parse(fail_on).rank
    return any(f.severity.rank >= threshold for f in findings if not f.suppressed)


@dataclass
class Report:
    """Everything one command found: findings plus named measurement sections.

    ``sections`` holds JSON-ready dicts (e.g. ``{"size": {...}, "logs": {...}}``); the check and gate
    commands nest them by name in their JSON output. ``paperwork_checked`` is False for ``audit``,
    which answers the code question only.
    """

    findings: list[Finding] = field(default_factory=list)
    sections: dict[str, dict] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    paperwork_checked: bool = True

    @property
    def rule_verdict(self) -> Verdict:
        return rule_verdict(self.findings)

    @property
    def paperwork_verdict(self) -> Paperwork | None:
        return paperwork_verdict(self.findings) if self.paperwork_checked else None

    @property
    def verdict(self) -> Verdict:
        return headline(self.rule_verdict, self.paperwork_verdict)

    def verdicts(self) -> dict:
        """The three words, JSON-ready (``paperwork_verdict`` is null when it was not checked)."""
        pw = self.paperwork_verdict
        return {"verdict": self.verdict.value, "rule_verdict": self.rule_verdict.value,
                "paperwork_verdict": pw.value if pw is not None else None}

    def counts(self) -> dict:
        """Unsuppressed findings per severity, split by kind."""
        out = {k: {s: 0 for s in ("error", "warning", "note")} for k in KINDS}
        for f in self.findings:
            if not f.suppressed:
                out[f.kind][f.severity.value] += 1
        return out

    def extend(self, findings: Iterable[Finding]) -> None:
        self.findings.extend(findings)

    def to_dict(self) -> dict:
        out = {
            **self.verdicts(),
            "files": list(self.files),
            "findings": [f.to_dict() for f in sorted(self.findings, key=sort_key)],
        }
        out.update(self.sections)
        return out


def verdict_line(report: Report) -> str:
    """``verdict ILLEGAL (rules ILLEGAL, paperwork COMPLETE)`` — the same words in every text output."""
    pw = report.paperwork_verdict
    paper = pw.value if pw is not None else "not checked"
    return f"verdict {report.verdict.value} (rules {report.rule_verdict.value}, paperwork {paper})"
