"""``--history``: judge a merged record by the rulings in force on its date.

By default golfcheck judges by today's rules. With ``--history``, an error from a rule whose
``ruling_date`` is later than the record's date becomes a warning naming the precedent. History
applies to merged records only (``golfcheck/data/merged_records.json``): a PR that was never merged
is judged by today's rulings whatever its date.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

from golfcheck.findings import Finding, Severity
from golfcheck.errors import GolfcheckError

DATE = re.compile(r"(20\d\d-\d\d-\d\d)")


def record_date(root: Path, submission_json: dict | None = None) -> str | None:
    """The record's date: the folder name's YYYY-MM-DD prefix, else submission.json's ``date``."""
    m = DATE.match(Path(root).resolve().name)  # `check .` names the folder it is run in
    if m:
        return m.group(1)
    if submission_json and isinstance(submission_json.get("date"), str):
        m = DATE.match(submission_json["date"])
        if m:
            return m.group(1)
    return None


@lru_cache(maxsize=1)
def merged_records() -> dict:
    """The shipped list of merged record folders: ``{"snapshot": date, "folders": {track: [names]}}``."""
    import json
    from importlib import resources

    try:
        text = resources.files("golfcheck.data").joinpath("merged_records.json").read_text(encoding="utf-8")
        return json.loads(text)
    except (OSError, ValueError, ModuleNotFoundError) as exc:
        raise GolfcheckError(f"the shipped list of merged records is unreadable: {exc}") from None


def is_merged(root: Path) -> bool:
    """Is ``root`` a record folder merged into the challenge repository (by its folder name)?"""
    names = {n for ns in merged_records().get("folders", {}).values() for n in ns}
    return Path(root).resolve().name in names


def not_merged(root: Path) -> str:
    """Why --history does not apply to ``root`` (one sentence)."""
    snap = merged_records().get("snapshot", "?")
    return (f"--history judges merged records only, and {Path(root).resolve().name} is not a record folder merged "
            f"into the challenge repository (golfcheck's list of {snap}): it is judged by today's rulings")


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
