"""All folder-level checks at once, shared by ``golfcheck check`` and the folder rules."""

from __future__ import annotations

import os
from pathlib import Path

from golfcheck.checks.artifact import SizeResult, check_size
from golfcheck.checks.common import cached, profile_of
from golfcheck.checks.counted_code import CountedCode, check_counted_code
from golfcheck.checks.metadata import MetadataResult, check_metadata
from golfcheck.checks.runs import LogsResult, analyse_logs
from golfcheck.checks.significance import Sota, ValidateResult, validate
from golfcheck.checks.wallclock import WallclockResult, check_wallclock
from golfcheck.errors import GolfcheckError, reading
from golfcheck.findings import Finding, Report, Severity
from golfcheck.submission import Submission, load_submission


def folder(path: str | Path) -> Submission:
    p = Path(path)
    if not p.exists():
        raise GolfcheckError("no such folder", str(path))
    if not p.is_dir():
        raise GolfcheckError("expected a submission folder, got a file", str(path))
    return load_submission(p)


def logs_of(sub: Submission, profile: str) -> LogsResult:
    return cached(sub, f"logs:{profile}", lambda: analyse_logs(sub, profile))


def code_of(sub: Submission, profile: str) -> CountedCode:
    return cached(sub, f"code:{profile}", lambda: check_counted_code(sub, profile))


def size_of(sub: Submission, profile: str) -> SizeResult:
    return cached(sub, f"size:{profile}", lambda: check_size(sub, profile, logs_of(sub, profile), code_of(sub, profile)))


def wallclock_of(sub: Submission, profile: str) -> WallclockResult:
    return cached(sub, f"wall:{profile}", lambda: check_wallclock(sub, profile, logs_of(sub, profile)))


def metadata_of(sub: Submission, profile: str) -> MetadataResult:
    return cached(sub, f"meta:{profile}", lambda: check_metadata(sub, profile, logs_of(sub, profile), size_of(sub, profile)))


def validate_of(sub: Submission, profile: str, seeds: int = 3, sota: Sota | None = None) -> ValidateResult:
    key = f"validate:{profile}:{seeds}:{id(sota)}"
    return cached(sub, key, lambda: validate(sub, seeds, sota, profile, logs_of(sub, profile)))


def _norm(f: Finding) -> tuple:
    return (f.rule, os.path.normpath(f.path), f.line, f.message)


def dedupe(findings: list[Finding]) -> list[Finding]:
    seen: dict[tuple, Finding] = {}
    for f in findings:
        seen.setdefault(_norm(f), f)
    return list(seen.values())


def check_folder(
    path: str | Path,
    profile: str | None = None,
    seeds: int = 3,
    sota: Sota | None = None,
    run_audit: bool = True,
    options=None,
) -> Report:
    """audit + size + logs + wallclock + metadata + validate in one Report with named sections.
    ``options``: the audit's golfcheck.engine.Options (selection, suppressions, time limit)."""
    with reading(path):  # an internal error names the folder
        return _check_folder(path, profile, seeds, sota, run_audit, options)


def _check_folder(path, profile, seeds, sota, run_audit, options=None) -> Report:
    sub = folder(path)
    prof = profile_of(sub, profile)
    report = Report()
    logs = logs_of(sub, prof)
    size = size_of(sub, prof)
    wall = wallclock_of(sub, prof)
    meta = metadata_of(sub, prof)
    # non-record PRs need one log; record PRs (and merged records judged as history) need --seeds
    val = validate_of(sub, prof, seeds if prof != "non-record" else min(seeds, 1), sota)
    report.sections["profile"] = {"name": prof}
    audit_findings: list[Finding] = []
    if run_audit:
        audit_report = Report()
        report.sections["audit"] = _audit(path, audit_report, history=prof == "history", options=options)
        audit_findings = audit_report.findings
    report.sections["size"] = size.to_dict()
    report.sections["logs"] = logs.to_dict()
    report.sections["wallclock"] = wall.to_dict()
    report.sections["metadata"] = meta.to_dict()
    report.sections["validate"] = val.to_dict()
    for part in (logs.findings, size.findings, wall.findings, meta.findings, val.findings):
        report.findings.extend(part)
    report.findings = dedupe(report.findings)
    # the audit runs the catalogue, whose folder rules report the same facts: one finding per place
    mine = {(f.rule, os.path.normpath(f.path), f.line) for f in report.findings}
    report.findings.extend(f for f in dedupe(audit_findings)
                           if (f.rule, os.path.normpath(f.path), f.line) not in mine)
    report.files = sorted({*(str(Path(sub.root) / f.rel) for f in sub.code_files),
                           *(str(Path(sub.root) / f.rel) for f in sub.logs)})
    return report


def _audit(path, report: Report, history: bool = False, options=None) -> dict:
    """The static audit via golfcheck.api.audit_paths (imported lazily; skipped with a note if absent)."""
    try:
        from golfcheck.api import audit_paths
    except Exception as exc:  # noqa: BLE001 - the audit engine is optional for the folder checks
        return {"skipped": True, "note": f"static audit not available ({type(exc).__name__}: {exc})"}
    try:
        try:
            from dataclasses import replace

            from golfcheck.engine import Options

            options = replace(options or Options(), history=history, scopes=("code", "folder"))
        except Exception:  # noqa: BLE001
            options = None
        audit = audit_paths([str(path)], options)
    except GolfcheckError:
        raise
    except Exception as exc:  # noqa: BLE001 - an engine crash must not hide the folder checks
        report.findings.append(Finding("GC000", Severity.WARNING, str(path), 1, 0,
                                       f"static audit failed: {type(exc).__name__}: {exc}"))
        return {"skipped": True, "note": f"static audit failed: {type(exc).__name__}: {exc}"}
    report.findings.extend(audit.findings)
    d = audit.to_dict()
    return {"skipped": False, "verdict": d.get("verdict"), "files": d.get("files", []),
            "findings": len(audit.findings), **{k: v for k, v in audit.sections.items()}}
