"""``golfcheck rules [ID]``: the catalogue, or one rule with its rationale and rulings."""

from __future__ import annotations

import json

import click

from golfcheck.errors import GolfcheckError


def rule_dict(rule) -> dict:
    return {
        "id": rule.id, "name": rule.name, "severity": rule.severity.value, "kind": rule.kind, "scope": rule.scope,
        "summary": rule.summary,
        "rationale": rule.rationale, "looks_for": rule.looks_for, "traps": list(rule.traps),
        "rulings": [{"source": r.source, "url": r.url, "summary": r.summary} for r in rule.rulings],
        "ruling_date": getattr(rule, "ruling_date", None),
        "examples": {"valid": len(rule.VALID), "invalid": len(rule.INVALID)},
    }


@click.command()
@click.argument("rule_id", required=False)
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text")
def rules(rule_id, fmt):
    """List the rule catalogue, or show one rule (by id like GC101 or by name)."""
    from golfcheck.rules import all_rules, get_rule
    from golfcheck.ruledocs import render_catalogue, render_rule

    if rule_id:
        rule = get_rule(rule_id)
        if rule is None:
            from golfcheck.selection import suggestion

            raise GolfcheckError(f"no rule {rule_id!r}{suggestion(rule_id)}; run `golfcheck rules` for the catalogue")
        if fmt == "json":
            click.echo(json.dumps(rule_dict(rule), indent=2))
        else:
            click.echo(render_rule(rule, level=1), nl=False)
        return 0
    catalogue = all_rules()
    if fmt == "json":
        click.echo(json.dumps({"rules": [rule_dict(r) for r in catalogue]}, indent=2))
    elif fmt == "markdown":
        click.echo(render_catalogue(list(catalogue)), nl=False)
    else:
        width = max((len(r.name) for r in catalogue), default=10)
        for r in catalogue:
            click.echo(f"{r.id}  {r.name:<{width}}  {r.kind:<9}  {r.severity.value:<7}  {r.summary}")
    return 0
