"""GitHub Actions workflow commands (``::error file=...::``): need no token, so they work on fork PRs.

GitHub shows at most ten annotations of each level per step, so the order matters: rule errors
first, then paperwork errors, then warnings and notes (:func:`golfcheck.findings.sort_key`). What
does not fit is counted in a final notice instead of being dropped silently.
"""

from __future__ import annotations

from golfcheck.findings import Report, sort_key
from golfcheck.formatters.paths import locate

LEVEL = {"error": "error", "warning": "warning", "note": "notice"}
PER_LEVEL = 10  # GitHub's limit of annotations per level and step


def _escape_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_prop(s: str) -> str:
    return _escape_data(s).replace(":", "%3A").replace(",", "%2C")


def to_github(report: Report, per_level: int = PER_LEVEL, base=None, root=None) -> str:
    """Annotations name files relative to the repository root (see golfcheck.formatters.paths)."""
    live = [f for f in sorted(report.findings, key=sort_key) if not f.suppressed]
    # the closing notice takes one notice slot when something is left out
    shown_per = {"error": per_level, "warning": per_level, "notice": per_level}
    by_level = {lvl: [f for f in live if LEVEL[f.severity.value] == lvl] for lvl in shown_per}
    if any(len(v) > per_level for v in by_level.values()):
        shown_per["notice"] = per_level - 1
    out, hidden = [], 0
    for f in live:
        level = LEVEL[f.severity.value]
        if shown_per[level] <= 0:
            hidden += 1
            continue
        shown_per[level] -= 1
        d = f.to_dict()
        title = f"golfcheck ({f.rule}{', paperwork' if f.is_paperwork else ''})"
        msg = f"{f.rule} {f.message}" + (" [decoded payload line]" if f.in_payload else "")
        path = locate(d["path"], base, root)[0]
        props = f"title={_escape_prop(title)},file={_escape_prop(path)},line={d['line']},col={d['column']}"
        if d["end_line"]:
            props += f",endLine={max(d['end_line'], d['line'])}"
            if d["end_column"] and d["end_line"] == d["line"]:
                props += f",endColumn={d['end_column']}"
        out.append(f"::{level} {props}::{_escape_data(msg)}")
    v = report.verdicts()
    paper = v["paperwork_verdict"] or "not checked"
    tail = f"golfcheck: verdict {v['verdict']} (rules {v['rule_verdict']}, paperwork {paper})"
    if hidden:
        tail += f"; {hidden} more finding(s) not shown as annotations (GitHub shows {per_level} per level): see the SARIF, JSON or step summary"
    out.append(f"::notice title=golfcheck::{_escape_data(tail)}")
    return "\n".join(out) + "\n"
