"""Helpers for engine tests: folders on disk and tiny inline rules (independent of rules/)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from golfcheck.api import Unit, audit_unit
from golfcheck.engine import Options, build_context, run_rules
from golfcheck.findings import Severity
from golfcheck.rule import Rule


class DangerCall(Rule):
    """Fires (error) at every call of a function named ``danger``."""

    id = "GC990"
    name = "test-danger-call"
    severity = Severity.ERROR
    summary = "A call of danger()."

    def check(self, ctx):
        for facts in ctx.facts:
            for _f, call in facts.all_calls():
                if call.name == "danger":
                    yield ctx.finding(self, facts, call.node, "danger() is called")


class RiskyCall(Rule):
    """Fires (warning) at every call of a function named ``risky``."""

    id = "GC991"
    name = "test-risky-call"
    severity = Severity.WARNING
    summary = "A call of risky()."

    def check(self, ctx):
        for facts in ctx.facts:
            for _f, call in facts.all_calls():
                if call.name == "risky":
                    yield ctx.finding(self, facts, call.node, "risky() is called")


class Exploding(Rule):
    """Raises inside check: the engine must turn it into a visible finding."""

    id = "GC992"
    name = "test-exploding"
    severity = Severity.ERROR
    summary = "Always raises."

    def check(self, ctx):
        raise ZeroDivisionError("boom")


INLINE_RULES = (DangerCall, RiskyCall)


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    for rel, content in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
    return root


def audit_folder(root: Path, rules=INLINE_RULES, **opts):
    """Normalise + rules over every .py under ``root`` as one submission folder."""
    from golfcheck.submission import load_submission

    code = sorted(str(p.relative_to(root)) for p in root.rglob("*.py"))
    ctx = build_context(root, code, load_submission(root), Options(**opts))
    return ctx, run_rules(ctx, rules)


__all__ = ["audit_folder", "write_tree", "Unit", "audit_unit", "INLINE_RULES", "DangerCall", "RiskyCall", "Exploding"]
