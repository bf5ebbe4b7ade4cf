"""Formatters: SARIF 2.1.0 as GitHub code scanning needs it, GitHub workflow commands, text, JSON."""

from __future__ import annotations

import json

import jsonschema
import pytest

from golfcheck.findings import Finding, Report, Severity
from golfcheck.formatters import render, summary

# GitHub code scanning's required (and our always-emitted) SARIF properties, with lines/columns >= 1.
TEXT = {"type": "object", "required": ["text"], "properties": {"text": {"type": "string", "minLength": 1, "maxLength": 1024}}}
REGION = {
    "type": "object",
    "required": ["startLine", "startColumn"],
    "properties": {k: {"type": "integer", "minimum": 1} for k in ("startLine", "startColumn", "endLine", "endColumn")},
}
SARIF_SCHEMA = {
    "type": "object",
    "required": ["$schema", "version", "runs"],
    "properties": {
        "version": {"const": "2.1.0"},
        "$schema": {"type": "string", "pattern": "sarif"},
        "runs": {"type": "array", "minItems": 1, "items": {
            "type": "object",
            "required": ["tool", "results"],
            "properties": {
                "tool": {"type": "object", "required": ["driver"], "properties": {"driver": {
                    "type": "object",
                    "required": ["name", "rules"],
                    "properties": {
                        "name": {"const": "golfcheck"},
                        "semanticVersion": {"type": "string"},
                        "rules": {"type": "array", "items": {
                            "type": "object",
                            "required": ["id", "shortDescription", "fullDescription", "help", "defaultConfiguration"],
                            "properties": {
                                "id": {"type": "string", "pattern": "^GC[0-9]{3}$"},
                                "shortDescription": TEXT, "fullDescription": TEXT, "help": TEXT,
                                "helpUri": {"type": "string", "pattern": "^https?://"},
                                "defaultConfiguration": {"type": "object", "required": ["level"],
                                                         "properties": {"level": {"enum": ["error", "warning", "note"]}}},
                                "properties": {"type": "object", "not": {"required": ["security-severity"]}},
                            },
                        }},
                    },
                }}},
                "results": {"type": "array", "items": {
                    "type": "object",
                    "required": ["ruleId", "ruleIndex", "level", "message", "locations"],
                    "properties": {
                        "level": {"enum": ["error", "warning", "note"]},
                        "message": TEXT,
                        "locations": {"type": "array", "minItems": 1, "maxItems": 10, "items": {
                            "type": "object", "required": ["physicalLocation"],
                            "properties": {"physicalLocation": {
                                "type": "object", "required": ["artifactLocation", "region"],
                                "properties": {
                                    "artifactLocation": {"type": "object", "required": ["uri"],
                                                         "properties": {"uri": {"type": "string", "minLength": 1}}},
                                    "region": REGION,
                                },
                            }},
                        }},
                    },
                }},
            },
        }},
    },
}


def report() -> Report:
    return Report(
        findings=[
            Finding("GC990", Severity.ERROR, "rec/train_gpt.py", 3, 0, "danger() is called", end_line=3, end_column=8),
            Finding("GC991", Severity.WARNING, "rec/train_gpt.py", 0, -1, "line 0 must still be >= 1"),
            Finding("GC001", Severity.ERROR, "rec/bad.py", 1, 0, "file does not parse: invalid syntax", in_payload=True),
            Finding("GC003", Severity.NOTE, "rec/train_gpt.py", 5, 4, "suppression obeyed", suppressed=True),
            Finding("GC777", Severity.WARNING, "rec/x.py", 2, 0, "a rule id missing from the catalogue"),
        ],
        files=["rec/train_gpt.py", "rec/bad.py", "rec/x.py"],
    )


def test_sarif_is_valid_for_github_code_scanning(inline_catalogue):
    sarif = json.loads(render(report(), "sarif"))
    jsonschema.validate(sarif, SARIF_SCHEMA)
    run = sarif["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    for res in run["results"]:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
        region = res["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1
    first = run["results"][0]
    assert first["locations"][0]["physicalLocation"]["region"] == {"startLine": 1, "startColumn": 1}
    danger = next(r for r in run["results"] if r["ruleId"] == "GC990")
    assert danger["locations"][0]["physicalLocation"]["region"] == {"startLine": 3, "startColumn": 1, "endLine": 3, "endColumn": 9}
    assert any(r.get("suppressions") for r in run["results"])
    assert {r["id"] for r in rules} >= {"GC001", "GC002", "GC003", "GC990", "GC991", "GC777"}


def test_sarif_with_the_real_catalogue_is_valid():
    sarif = json.loads(render(report(), "sarif"))
    jsonschema.validate(sarif, SARIF_SCHEMA)


def test_sarif_schema_rejects_column_zero():
    bad = {"$schema": "sarif", "version": "2.1.0", "runs": [{"tool": {"driver": {"name": "golfcheck", "rules": []}}, "results": [
        {"ruleId": "GC001", "ruleIndex": 0, "level": "error", "message": {"text": "x"},
         "locations": [{"physicalLocation": {"artifactLocation": {"uri": "a.py"}, "region": {"startLine": 1, "startColumn": 0}}}]}]}]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, SARIF_SCHEMA)


def test_github_format_escapes_properties_and_data():
    r = Report(findings=[
        Finding("GC990", Severity.ERROR, "dir,with:odd%/train_gpt.py", 7, 2, "100% bad\nsecond line, with: colon\r"),
        Finding("GC003", Severity.NOTE, "a.py", 1, 0, "hidden", suppressed=True),
        Finding("GC991", Severity.NOTE, "a.py", 2, 0, "a note"),
    ])
    lines = render(r, "github").splitlines()
    assert len(lines) == 3  # suppressed findings are not annotated; the last line is the verdict notice
    assert lines[0] == (  # errors first
        "::error title=golfcheck (GC990),file=dir%2Cwith%3Aodd%25/train_gpt.py,line=7,col=3::"
        "GC990 100%25 bad%0Asecond line, with: colon%0D"
    )
    assert lines[1] == "::notice title=golfcheck (GC991),file=a.py,line=2,col=1::GC991 a note"
    assert lines[2] == "::notice title=golfcheck::golfcheck: verdict ILLEGAL (rules ILLEGAL, paperwork COMPLETE)"


def test_text_format_is_path_line_col_with_one_based_columns():
    out = render(report(), "text").splitlines()
    assert "rec/train_gpt.py:3:1: GC990 [error] danger() is called" in out
    assert "rec/train_gpt.py:1:1: GC991 [warning] line 0 must still be >= 1" in out
    # a line of a decoded wrapper's payload is not a line of the shipped file: say so in the place
    assert "rec/bad.py (payload line 1): GC001 [error] file does not parse: invalid syntax" in out
    assert "rec/train_gpt.py:5:5: GC003 [suppressed note] suppression obeyed" in out
    assert summary(report()).startswith("3 files audited: 2 error(s), 2 warning(s), 0 note(s)")
    assert render(Report(), "text") == ""


def test_json_format_contract():
    data = json.loads(render(report(), "json"))
    assert data["verdict"] == "ILLEGAL"
    assert data["files"] == ["rec/train_gpt.py", "rec/bad.py", "rec/x.py"]
    for f in data["findings"]:
        assert {"rule", "severity", "path", "line", "column", "message"} <= set(f)
        assert f["line"] >= 1 and f["column"] >= 1
