"""Output formats for a Report. Columns become 1-based here (Finding.to_dict) and nowhere else."""

from __future__ import annotations

import json
from typing import Callable

from golfcheck.escape import one_line
from golfcheck.findings import Report, sort_key, verdict_line

FORMATS = ("text", "json", "sarif", "github")


def render(report: Report, fmt: str, base=None, root=None) -> str:
    """``report`` in ``fmt``. SARIF and GitHub annotations name files relative to ``root`` (default the
    repository holding ``base``, the folder finding paths are relative to: default the current one)."""
    if fmt == "json":
        return json.dumps(report.to_dict(), indent=2, sort_keys=False, default=str) + "\n"
    if fmt == "sarif":
        from golfcheck.formatters.sarif import to_sarif

        return json.dumps(to_sarif(report, base, root), indent=2) + "\n"
    if fmt == "github":
        from golfcheck.formatters.github import to_github

        return to_github(report, base=base, root=root)
    return text(report)


def text(report: Report) -> str:
    """``path:line:col: GC101 [error] message`` lines, errors first; paperwork is tagged as such."""
    lines = []
    for f in sorted(report.findings, key=sort_key):
        tag = ("suppressed " if f.suppressed else "") + f.severity.value + (", paperwork" if f.is_paperwork else "")
        lines.append(f"{one_line(f.location)}: {f.rule} [{tag}] {one_line(f.message)}")
    return "\n".join(lines) + ("\n" if lines else "")


def counts_text(report: Report) -> str:
    """``2 error(s), 1 warning(s), 3 note(s)`` with the paperwork share named."""
    c = report.counts()
    parts = []
    for sev in ("error", "warning", "note"):
        n = c["rule"][sev] + c["paperwork"][sev]
        parts.append(f"{n} {sev}(s)" + (f" ({c['paperwork'][sev]} paperwork)" if c["paperwork"][sev] else ""))
    return ", ".join(parts)


def summary(report: Report) -> str:
    n = len(report.files)
    return f"{n} file{'s' if n != 1 else ''} audited: {counts_text(report)} — {verdict_line(report)}"


Formatter = Callable[[Report], str]
