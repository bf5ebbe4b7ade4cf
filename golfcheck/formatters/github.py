"""GitHub Actions workflow commands (``::error file=...::``): need no token, so they work on fork PRs."""

from __future__ import annotations

from golfcheck.findings import Report, sort_key

LEVEL = {"error": "error", "warning": "warning", "note": "notice"}


def _escape_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_prop(s: str) -> str:
    return _escape_data(s).replace(":", "%3A").replace(",", "%2C")


def to_github(report: Report) -> str:
    out = []
    for f in sorted(report.findings, key=sort_key):
        if f.suppressed:
            continue
        d = f.to_dict()
        title = f"golfcheck ({f.rule})"
        msg = f"{f.rule} {f.message}" + (" [decoded payload line]" if f.in_payload else "")
        props = f"title={_escape_prop(title)},file={_escape_prop(d['path'])},line={d['line']},col={d['column']}"
        out.append(f"::{LEVEL[f.severity.value]} {props}::{_escape_data(msg)}")
    return "\n".join(out) + ("\n" if out else "")
