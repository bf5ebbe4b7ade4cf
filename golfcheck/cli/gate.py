"""``golfcheck gate --base REF --head REF``: the CI check of a submission PR (git objects only)."""

from __future__ import annotations

import json
import os

import click

from golfcheck.cli.common import exit_status, fail_on_option, selection_options, settings
from golfcheck.escape import one_line
from golfcheck.formatters import render, summary


def _write(path: str, text: str, append: bool = False) -> None:
    with open(path, "a" if append else "w", encoding="utf-8") as fh:
        fh.write(text)


@click.command()
@click.option("--base", required=True, help="The PR's base revision (e.g. the base SHA of the pull_request event).")
@click.option("--head", required=True, help="The PR's head revision.")
@click.option("--repo", "repo", type=click.Path(file_okay=False), default=".", show_default=True,
              help="The repository (needs both revisions and their merge base: fetch-depth 0).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "github", "sarif", "markdown"]), default="text",
              help="Stdout format; github = ::error/::warning annotations.")
@click.option("--sarif", "sarif_path", type=click.Path(dir_okay=False), default=None, help="Also write SARIF here.")
@click.option("--summary", "summary_path", type=click.Path(dir_okay=False), default=None,
              help="Also write the markdown summary here (it is appended to $GITHUB_STEP_SUMMARY when set).")
@selection_options
@fail_on_option
@click.option("--max-file-bytes", type=click.IntRange(1), default=None, help="Refuse single files above this size.")
def gate(base, head, repo, fmt, sarif_path, summary_path, select, ignore, config_path, fail_on, max_file_bytes):
    """The PR must add exactly one new folder under records/<track>/ and nothing else; then every
    folder check (audit, size, logs, wallclock, metadata, validate) runs on that folder, read from
    git objects without checking out the head. Submitted code is never executed.

    [tool.golfcheck] is read from the base revision's pyproject.toml (or --config), never from the
    PR; suppression comments in the PR are reported and never obeyed."""
    from golfcheck.config import load_config
    from golfcheck.engine import Options
    from golfcheck.gate import MAX_FILE_BYTES, base_config, run_gate, summary_markdown

    cfg = load_config(config_path) if config_path else base_config(repo, base)
    conf = settings(None, select, ignore, config=cfg)
    fail_on = conf.fail_on(fail_on)
    options = Options(select=conf.selection.select, ignore=conf.selection.ignore, timeout=cfg.timeout or None,
                      memory=cfg.memory or None)
    result = run_gate(repo, base, head, max_file=max_file_bytes or MAX_FILE_BYTES, options=options)
    report = result.report
    report.findings = conf.selection.apply(report.findings)
    md = None
    if summary_path or os.environ.get("GITHUB_STEP_SUMMARY") or fmt == "markdown":
        md = summary_markdown(result, fail_on)
    if summary_path:
        _write(summary_path, md)
    if os.environ.get("GITHUB_STEP_SUMMARY"):
        _write(os.environ["GITHUB_STEP_SUMMARY"], md + "\n", append=True)
    if sarif_path:
        _write(sarif_path, render(report, "sarif", base=repo, root=repo))
    if fmt == "json":
        click.echo(json.dumps(report.to_dict(), indent=2, default=str))
    elif fmt == "markdown":
        click.echo(md, nl=False)
    else:
        click.echo(render(report, fmt, base=repo, root=repo), nl=False)
    where = one_line(result.folder) if result.folder else "no single new records folder"
    click.echo(f"golfcheck gate: {where}: {summary(report)}", err=True)
    return exit_status(report.findings, fail_on)
