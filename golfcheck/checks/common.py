"""Shared helpers of the folder checks: the severity profile and finding construction."""

from __future__ import annotations

from pathlib import Path

from golfcheck.findings import Finding, Severity
from golfcheck.submission import Submission

LIMIT_BYTES = 16_000_000
LIMIT_SECONDS = 600.0

README_RULES = "README, Submission Process <https://github.com/openai/parameter-golf#submission-process>"
RULING_1902 = "PR #1902 progression cutoff <https://github.com/openai/parameter-golf/pull/1902>"
RULING_1017 = "Issue #1017 field guide <https://github.com/openai/parameter-golf/issues/1017>"

PROFILES = ("record", "non-record", "history")


def profile_of(sub: Submission | None, requested: str | None = None) -> str:
    """``record`` for the 10-minute track, ``non-record`` otherwise (explicit request wins)."""
    if requested:
        if requested not in PROFILES:
            raise ValueError(f"unknown profile {requested!r}")
        if requested == "history" and sub is not None and Path(sub.root).is_dir():
            from golfcheck.errors import GolfcheckError
            from golfcheck.history import is_merged, not_merged

            if not is_merged(sub.root):  # history is for merged records only
                raise GolfcheckError(not_merged(sub.root).split(": it is judged")[0], str(sub.root))
        return requested
    if sub is None:
        return "record"
    if sub.track == "track_non_record_16mb":
        return "non-record"
    track = (sub.submission_json or {}).get("track") if isinstance(sub.submission_json, dict) else None
    if isinstance(track, str) and "non" in track.lower() and sub.track is None:
        return "non-record"
    return "record"


# Limits in force since the challenge began: a merged record that broke one is a precedent a human
# should see (RULES.md §4: "HOLD - merged precedent exists"), not a note like a later format rule.
FOUNDING_LIMITS = frozenset({"GC501"})


def scaled(severity: Severity, profile: str, rule: str = "") -> Severity:
    """Errors for new record PRs, one step softer for non-record, notes for merged history (warnings
    for a merged record over a founding limit such as the 16,000,000-byte cap)."""
    if profile == "history":
        if rule in FOUNDING_LIMITS and severity is Severity.ERROR:
            return Severity.WARNING
        return Severity.NOTE
    if profile == "non-record" and severity is Severity.ERROR:
        return Severity.WARNING
    return severity


def anchor_file(sub: Submission) -> str | None:
    """The file a folder-level finding points at: the counted code, else README, JSON or a log."""
    for f in (sub.counted_file, sub.readme, sub.submission_json_file, *(sub.logs[:1])):
        if f is not None:
            return f.rel
    return None


def display_path(sub: Submission, rel: str | None) -> str:
    """The path a finding names: the folder as given, joined with the file's relative path."""
    rel = rel or anchor_file(sub)
    if not rel:
        return str(sub.root)
    return str(Path(sub.root) / rel)


def finding(
    rule: str,
    severity: Severity,
    sub: Submission,
    rel: str | None,
    line: int | None,
    message: str,
    ruling: str = "",
    profile: str = "record",
    evidence: str = "",
    in_payload: bool = False,
    kind: str = "",
) -> Finding:
    """A folder finding; ``kind`` overrides the rule's own (e.g. "paperwork" for missing evidence
    reported under a rule id whose breaches are rule findings)."""
    return Finding(
        rule=rule,
        severity=scaled(severity, profile, rule),
        path=display_path(sub, rel),
        line=max(1, int(line or 1)),
        column=0,
        message=message,
        ruling=ruling,
        evidence=evidence,
        in_payload=in_payload,
        kind=kind,
    )


def json_rel(sub: Submission) -> str | None:
    return sub.submission_json_file.rel if sub.submission_json_file else None


def json_line(sub: Submission, key: str, within: str | None = None) -> int:
    """1-based line of the first ``"key"`` in submission.json (after ``"within"`` if given)."""
    if sub.submission_json_file is None:
        return 1
    text = sub.submission_json_file.text
    start = 0
    if within is not None:
        i = text.find(f'"{within}"')
        if i >= 0:
            start = i
    i = text.find(f'"{key}"', start)
    if i < 0:
        return 1
    return text.count("\n", 0, i) + 1


def cached(sub: Submission, key: str, build):
    """Memoise one analysis per loaded Submission (rules and commands share it)."""
    store = sub.__dict__.setdefault("_golfcheck_cache", {})
    if key not in store:
        store[key] = build()
    return store[key]


def relative_to_root(findings, sub: Submission) -> list[Finding]:
    """Finding paths relative to the folder (the audit engine adds its own prefix)."""
    import os
    from dataclasses import replace

    root = str(sub.root)
    out = []
    for f in findings:
        p = f.path
        if p == root:
            p = sub.counted_file.rel if sub.counted_file else (sub.logs[0].rel if sub.logs else ".")
        elif p.startswith(root + os.sep) or p.startswith(root + "/"):
            p = p[len(root) + 1:]
        out.append(replace(f, path=p))
    return out
