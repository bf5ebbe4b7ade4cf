"""``--history``: judge a merged record by the rulings in force on its date.

By default golfcheck judges by today's rules. With ``--history``, an error from a rule whose
``ruling_date`` is later than the record's date becomes a warning naming the precedent.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from golfcheck.findings import Finding, Severity

DATE = re.compile(r"(20\d\d-\d\d-\d\d)")


def record_date(root: Path, submission_json: dict | None = None) -> str | None:
    """The record's date: the folder name's YYYY-MM-DD prefix, else submission.json's ``date``."""
    m = DATE.match(root.name)
    if m:
        return m.group(1)
    if submission_json and isinstance(submission_json.get("date"), str):
        m = DATE.match(submission_json["date"])
        if m:
            return m.group(1)
    return None


def apply_history(findings: list[Finding], date: str | None) -> list[Finding]:
    if not date:
        return findings
    from golfcheck.rules import get_rule

    out = []
    for f in findings:
        rule = get_rule(f.rule)
        ruled = getattr(rule, "ruling_date", None) if rule else None
        if f.severity is Severity.ERROR and ruled and date < ruled:
            f = replace(f, severity=Severity.WARNING,
                        message=f"{f.message} (--history: record dated {date} precedes the ruling of {ruled}; merged precedent)")
        out.append(f)
    return out
