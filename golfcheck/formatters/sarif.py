"""SARIF 2.1.0 for GitHub code scanning: 1-based columns, rule metadata with help URIs to the ruling."""

from __future__ import annotations

import hashlib

from golfcheck import __version__
from golfcheck.findings import Report, sort_key
from golfcheck.rule import RULES_DOC_URL

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL = {"error": "error", "warning": "warning", "note": "note"}
PROBLEM = {"error": "error", "warning": "warning", "note": "recommendation"}


def _clip(s: str, n: int = 1000) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"


def _rule_descriptor(rule_cls) -> dict:
    rulings = "; ".join(r.cite() for r in rule_cls.rulings) or "golfcheck policy"
    full = rule_cls.rationale or rule_cls.summary
    help_md = f"**{rule_cls.id} {rule_cls.name}** — {rule_cls.summary}\n\n{rule_cls.looks_for}\n\nRulings: {rulings}"
    return {
        "id": rule_cls.id,
        "name": rule_cls.name,
        "shortDescription": {"text": _clip(rule_cls.summary)},
        "fullDescription": {"text": _clip(full)},
        "help": {"text": _clip(f"{rule_cls.summary} Rulings: {rulings}"), "markdown": _clip(help_md)},
        "helpUri": rule_cls.help_uri(),
        "defaultConfiguration": {"level": LEVEL[rule_cls.severity.value]},
        "properties": {"tags": ["parameter-golf", rule_cls.id[:3].lower() + "xx"], "precision": "medium",
                       "problem.severity": PROBLEM[rule_cls.severity.value]},
    }


def _unknown_descriptor(rule_id: str, severity) -> dict:
    """A rule id with findings but no catalogue entry (a rule being written, a removed rule)."""
    level = LEVEL[severity.value] if severity is not None else "warning"
    text = f"{rule_id}: golfcheck rule (no catalogue entry in this version)"
    return {
        "id": rule_id,
        "shortDescription": {"text": text},
        "fullDescription": {"text": text},
        "help": {"text": text},
        "helpUri": f"{RULES_DOC_URL}#{rule_id.lower()}",
        "defaultConfiguration": {"level": level},
        "properties": {"tags": ["parameter-golf"], "precision": "medium", "problem.severity": PROBLEM[level]},
    }


def to_sarif(report: Report) -> dict:
    from golfcheck.rules import all_rules, get_rule

    used = sorted({f.rule for f in report.findings})
    rules = [r for r in all_rules()]
    index = {r.id: i for i, r in enumerate(rules)}
    for rid in used:  # ids without a catalogue entry still need a descriptor
        if rid not in index:
            index[rid] = len(rules)
            rules.append(None)
    worst = {}
    for f in report.findings:  # default level of an id without a catalogue entry: its worst finding
        if f.rule not in worst or f.severity.rank > worst[f.rule].rank:
            worst[f.rule] = f.severity
    descriptors = []
    for r, rid in zip(rules, sorted(index, key=index.get)):
        descriptors.append(_rule_descriptor(r) if r is not None else _unknown_descriptor(rid, worst.get(rid)))
    results = []
    for f in sorted(report.findings, key=sort_key):
        d = f.to_dict()
        region = {"startLine": d["line"], "startColumn": d["column"]}
        if d["end_line"]:
            region["endLine"] = max(d["end_line"], d["line"])
            region["endColumn"] = max(1, d["end_column"] or d["column"])
        fingerprint = hashlib.sha256(f"{d['path']}|{f.rule}|{d['line']}|{f.message}".encode()).hexdigest()[:32]
        result = {
            "ruleId": f.rule,
            "ruleIndex": index[f.rule],
            "level": LEVEL[f.severity.value],
            "message": {"text": f.message + (" (line in the decoded payload of this wrapper)" if f.in_payload else "")},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": d["path"]}, "region": region}}],
            "partialFingerprints": {"golfcheck/v1": fingerprint},
        }
        if f.suppressed:
            result["suppressions"] = [{"kind": "inSource"}]
        result["properties"] = {"kind": f.kind, **({"ruling": f.ruling} if f.ruling else {})}
        results.append(result)
    rule_obj = get_rule  # keep import used for type checkers
    del rule_obj
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "golfcheck", "semanticVersion": __version__,
                                "informationUri": "https://github.com/openai/parameter-golf", "rules": descriptors}},
            "results": results,
            "properties": report.verdicts(),
        }],
    }
