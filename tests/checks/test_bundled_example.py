"""The README's main job: `golfcheck check` with no argument checks the bundled example: CLEAN."""

import json

from click.testing import CliRunner

from golfcheck.cli import cli


def test_bundled_example_is_clean():
    result = CliRunner().invoke(cli, ["check", "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["verdict"] == "CLEAN", [f for f in report["findings"] if f["severity"] != "note"]
    runs = report["logs"]["runs"]
    assert len({r["seed"] for r in runs}) == 3
    assert all(r["total_bytes"] and r["total_bytes"] <= 16_000_000 for r in runs)
    # the demo corpus is named as such, not passed off as FineWeb
    assert any(f["rule"] == "GC601" and "embedded demo corpus" in f["message"] for f in report["findings"])
