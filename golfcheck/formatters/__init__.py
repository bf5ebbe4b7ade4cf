"""Output formats for a Report. Columns become 1-based here (Finding.to_dict) and nowhere else."""

from __future__ import annotations

import json
from typing import Callable

from golfcheck.findings import Report, sort_key

FORMATS = ("text", "json", "sarif", "github")


def render(report: Report, fmt: str, command: str = "audit") -> str:
    if fmt == "json":
        return json.dumps(report.to_dict(), indent=2, sort_keys=False, default=str) + "\n"
    if fmt == "sarif":
        from golfcheck.formatters.sarif import to_sarif

        return json.dumps(to_sarif(report), indent=2) + "\n"
    if fmt == "github":
        from golfcheck.formatters.github import to_github

        return to_github(report)
    return text(report)


def text(report: Report) -> str:
    """``path:line:col: GC101 [error] message`` lines, then a one-line summary."""
    lines = []
    for f in sorted(report.findings, key=sort_key):
        d = f.to_dict()
        where = f"{d['path']}:{d['line']}:{d['column']}"
        extra = " (in decoded payload)" if f.in_payload else ""
        tag = "suppressed " if f.suppressed else ""
        lines.append(f"{where}: {f.rule} [{tag}{f.severity.value}] {f.message}{extra}")
    return "\n".join(lines) + ("\n" if lines else "")


def summary(report: Report) -> str:
    counts = {s: 0 for s in ("error", "warning", "note")}
    for f in report.findings:
        if not f.suppressed:
            counts[f.severity.value] += 1
    n = len(report.files)
    return (f"{n} file{'s' if n != 1 else ''} audited: {counts['error']} error(s), {counts['warning']} warning(s), "
            f"{counts['note']} note(s) — verdict {report.verdict.value}")


Formatter = Callable[[Report], str]
