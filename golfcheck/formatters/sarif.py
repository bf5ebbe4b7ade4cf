"""SARIF 2.1.0 for GitHub code scanning.

- Locations are relative to the repository root (``uriBaseId`` ``%SRCROOT%``), however golfcheck was
  called; a file outside the repository gets an absolute ``file://`` URI.
- ``partialFingerprints`` hash the rule, the path and the finding's anchor (its enclosing function
  and normalised source line, see :func:`golfcheck.engine._anchored`), never the line number or the
  message, so an alert survives unrelated edits above it; equal anchors are told apart by their order.
- Each rule's help is its own documentation (the text of docs/rules.md, with ``helpUri`` to its
  anchor once the docs are published); the rulings it rests on are related links.
- Internal errors (GC000) are tool execution notifications, not results: the run is marked
  unsuccessful.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from golfcheck import __version__
from golfcheck.findings import Report, sort_key
from golfcheck.formatters.paths import locate, repository_root
from golfcheck.rule import project_urls, rules_doc_url
from golfcheck.selection import INTERNAL, is_internal

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"
FINGERPRINT = "golfcheck/v2"
LEVEL = {"error": "error", "warning": "warning", "note": "note"}
PROBLEM = {"error": "error", "warning": "warning", "note": "recommendation"}


def _clip(s: str, n: int = 1000) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"


def _rule_descriptor(rule_cls) -> dict:
    from golfcheck.ruledocs import render_rule

    rulings = "; ".join(r.cite() for r in rule_cls.rulings) or "golfcheck policy"
    out = {
        "id": rule_cls.id,
        "name": rule_cls.name,
        "shortDescription": {"text": _clip(rule_cls.summary)},
        "fullDescription": {"text": _clip(rule_cls.rationale or rule_cls.summary)},
        # the rule's own documentation, as docs/rules.md has it; its rulings are the related links
        "help": {"text": _clip(f"{rule_cls.summary} Rulings: {rulings}"),
                 "markdown": render_rule(rule_cls, level=3)},
        "defaultConfiguration": {"level": LEVEL[rule_cls.severity.value]},
        "properties": {"tags": ["parameter-golf", rule_cls.id[:3].lower() + "xx", rule_cls.kind],
                       "precision": "medium", "problem.severity": PROBLEM[rule_cls.severity.value],
                       "rulings": [r.url for r in rule_cls.rulings]},
    }
    uri = rule_cls.help_uri()
    if uri:
        out["helpUri"] = uri
    return out


def _unknown_descriptor(rule_id: str, severity) -> dict:
    """A rule id with findings but no catalogue entry (a rule being written, a removed rule)."""
    level = LEVEL[severity.value] if severity is not None else "warning"
    text = f"{rule_id}: golfcheck rule (no catalogue entry in this version)"
    out = {
        "id": rule_id,
        "shortDescription": {"text": text},
        "fullDescription": {"text": text},
        "help": {"text": text},
        "defaultConfiguration": {"level": level},
        "properties": {"tags": ["parameter-golf"], "precision": "medium", "problem.severity": PROBLEM[level]},
    }
    base = rules_doc_url()
    if base:
        out["helpUri"] = f"{base}#{rule_id.lower()}"
    return out


def _artifact(path: str, base, root) -> dict:
    rel, inside = locate(path, base, root)
    return {"uri": rel, "uriBaseId": SRCROOT} if inside else {"uri": Path(rel).as_uri()}


def _fingerprints(results: list[tuple[dict, str]]) -> None:
    """Fill ``partialFingerprints``: sha256 of (rule, uri, anchor), then ``:n`` for the n-th equal one."""
    seen: dict[str, int] = {}
    for result, key in results:
        digest = hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()[:32]
        seen[digest] = seen.get(digest, 0) + 1
        result["partialFingerprints"] = {FINGERPRINT: f"{digest}:{seen[digest]}"}


def to_sarif(report: Report, base: str | Path | None = None, root: str | Path | None = None) -> dict:
    """The report as one SARIF run. Finding paths are relative to ``base`` (default the current
    folder); URIs are relative to ``root`` (default the repository that holds ``base``)."""
    from golfcheck.rules import all_rules

    root = Path(root) if root is not None else repository_root(base if base is not None else ".")
    findings = [f for f in report.findings if f.rule != INTERNAL]
    crashes = [f for f in report.findings if is_internal(f)]
    rules: list = list(all_rules())
    index = {r.id: i for i, r in enumerate(rules)}
    for rid in sorted({f.rule for f in findings}):  # ids without a catalogue entry still need a descriptor
        if rid not in index:
            index[rid] = len(rules)
            rules.append(None)
    worst = {}
    for f in findings:  # default level of an id without a catalogue entry: its worst finding
        if f.rule not in worst or f.severity.rank > worst[f.rule].rank:
            worst[f.rule] = f.severity
    descriptors = [_rule_descriptor(r) if r is not None else _unknown_descriptor(rid, worst.get(rid))
                   for r, rid in zip(rules, sorted(index, key=index.get))]
    results, keyed = [], []
    for f in sorted(findings, key=sort_key):
        d = f.to_dict()
        region = {"startLine": d["line"], "startColumn": d["column"]}
        if d["end_line"]:
            region["endLine"] = max(d["end_line"], d["line"])
            region["endColumn"] = max(1, d["end_column"] or d["column"])
            if region["endLine"] == region["startLine"]:
                region["endColumn"] = max(region["endColumn"], region["startColumn"])
        artifact = _artifact(d["path"], base, root)
        result = {
            "ruleId": f.rule,
            "ruleIndex": index[f.rule],
            "level": LEVEL[f.severity.value],
            "message": {"text": f.message + (" (line in the decoded payload of this wrapper)" if f.in_payload else "")},
            "locations": [{"physicalLocation": {"artifactLocation": artifact, "region": region}}],
        }
        if f.suppressed:
            result["suppressions"] = [{"kind": "inSource"}]
        result["properties"] = {"kind": f.kind, **({"ruling": f.ruling} if f.ruling else {})}
        results.append(result)
        # the anchor when the engine gave one; else the message (folder checks: no source line)
        keyed.append((result, f"{f.rule}\0{artifact['uri']}\0{f.in_payload}\0{f.anchor or f.message}"))
    _fingerprints(keyed)
    driver = {"name": "golfcheck", "version": __version__, "semanticVersion": __version__, "rules": descriptors}
    home = project_urls().get("Homepage")
    if home:
        driver["informationUri"] = home
    invocation = {"executionSuccessful": not crashes}
    if crashes:
        invocation["toolExecutionNotifications"] = [{
            "level": "error",
            "message": {"text": f.message},
            "descriptor": {"id": INTERNAL},
            "locations": [{"physicalLocation": {"artifactLocation": _artifact(f.path, base, root)}}],
        } for f in crashes]
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": driver},
            "invocations": [invocation],
            "originalUriBaseIds": {SRCROOT: {"uri": root.resolve().as_uri() + "/"}},
            "results": results,
            "properties": report.verdicts(),
        }],
    }
