"""`golfcheck rules`: the catalogue, one rule, JSON, and docs/rules.md rendered from the modules."""

import json
from pathlib import Path

from click.testing import CliRunner

from golfcheck.cli import cli
from golfcheck.rules import all_rules
from golfcheck.ruledocs import render_catalogue

ROOT = Path(__file__).resolve().parents[2]


def test_catalogue_lists_every_rule():
    out = CliRunner().invoke(cli, ["rules"]).output
    for rule in all_rules():
        assert rule.id in out and rule.name in out


def test_one_rule_shows_rationale_traps_and_rulings():
    result = CliRunner().invoke(cli, ["rules", "GC101"])
    assert result.exit_code == 0
    assert "# GC101" in result.output and "Known traps" in result.output
    assert "https://github.com/openai/parameter-golf/" in result.output


def test_rule_by_name_and_json():
    rule = all_rules()[0]
    data = json.loads(CliRunner().invoke(cli, ["rules", rule.name, "--format", "json"]).output)
    assert data["id"] == rule.id and data["examples"]["valid"] >= 1


def test_unknown_rule_is_a_usage_error():
    from golfcheck.cli import main

    assert main(["rules", "GC999"]) == 2


def test_docs_match_the_rule_modules():
    """docs/rules.md is generated; regenerate with `golfcheck rules --format markdown > docs/rules.md`."""
    assert (ROOT / "docs" / "rules.md").read_text(encoding="utf-8") == render_catalogue(list(all_rules()))
