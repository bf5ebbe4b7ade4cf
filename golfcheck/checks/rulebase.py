"""Shared ``check`` of the folder-level rules (GC501, GC601-GC605): run the folder checks once per
loaded submission and yield only the calling rule's findings, with folder-relative paths."""

from __future__ import annotations

from typing import Iterable

from golfcheck.checks.common import profile_of, relative_to_root
from golfcheck.findings import Finding, Severity


def folder_findings(ctx, rule_id: str, parts: Iterable[str], drop_notes: bool = False) -> list[Finding]:
    sub = getattr(ctx, "submission", None)
    if sub is None:
        return []
    from golfcheck.checks import folder as F

    options = getattr(ctx, "options", None)
    profile = "history" if getattr(options, "history", False) else profile_of(sub)
    found: list[Finding] = []
    for part in parts:
        if part == "logs":
            found += F.logs_of(sub, profile).findings
        elif part == "size":
            found += F.size_of(sub, profile).findings
        elif part == "metadata":
            found += F.metadata_of(sub, profile).findings
        elif part == "validate":
            found += F.validate_of(sub, profile, 3 if profile != "non-record" else 1).findings
    out = [f for f in found if f.rule == rule_id and not (drop_notes and f.severity is Severity.NOTE)]
    return relative_to_root(F.dedupe(out), sub)
