"""``golfcheck audit PATH...``: static audit of files or folders."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from golfcheck.api import audit_paths
from golfcheck.cli.common import exit_status, fail_on_option, selection_options, settings, split_codes  # noqa: F401
from golfcheck.engine import Options
from golfcheck.formatters import FORMATS, render, summary


def _progress(done: int, total: int) -> None:
    if total > 1 and sys.stderr.isatty():
        click.echo(f"\raudited {done}/{total}", err=True, nl=done == total)


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True, help="Output format.")
@selection_options
@fail_on_option
@click.option("--exit-zero", is_flag=True, help="Exit 0 even with findings (2 still means golfcheck failed).")
@click.option("--respect-suppressions", is_flag=True, default=None,
              help="Obey `# golfcheck: ignore[...]` comments (never in CI: submissions are untrusted).")
@click.option("--history", is_flag=True, help="Judge merged records by the rulings of their date.")
@click.option("-j", "--jobs", type=int, default=None, help="Worker processes; 0 = all cores.")
@click.option("--timeout", type=click.FloatRange(min=0), default=None,
              help="Seconds one file or folder may take before it is reported as GC002 (default 300; 0 = no limit).")
@click.option("--memory", type=click.FloatRange(min=0), default=None,
              help="MiB one file or folder may allocate before it is reported as GC002 (default 1024; 0 = no cap).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write the report here instead of stdout.")
def audit(paths, fmt, select, ignore, config_path, fail_on, exit_zero, respect_suppressions, history, jobs, timeout, memory,
          output):
    """Static audit of train_gpt.py files or submission folders (never runs them).

    Answers the code question: does what the code and its run configuration do break a rule of the
    challenge (rule verdict ILLEGAL / HOLD / CLEAN)? It reads a folder's README, run.sh and logs only
    for the run configuration. The artifact size, the logged times, the seeds and the paperwork
    (submission.json, logs, layout) are `golfcheck check FOLDER`.
    """
    conf = settings(config_path, select, ignore, audited=paths)  # never a pyproject.toml inside what is audited
    cfg = conf.config
    options = Options(
        select=conf.selection.select,
        ignore=conf.selection.ignore,
        respect_suppressions=cfg.respect_suppressions if respect_suppressions is None else respect_suppressions,
        history=history,
        timeout=(cfg.timeout if timeout is None else timeout) or None,
        memory=(cfg.memory if memory is None else memory) or None,
    )
    report = audit_paths(paths, options, jobs=cfg.jobs if jobs is None else jobs, progress=_progress)
    report.findings = conf.selection.apply(report.findings)  # per-file-ignores need the reported paths
    out = render(report, fmt)
    if output:
        with open(output, "w", encoding="utf-8") as fh:
            fh.write(out)
    else:
        click.echo(out, nl=False)
    if fmt == "text" or output:
        click.echo(summary(report), err=True)
        if any(Path(p).is_dir() for p in paths):
            click.echo("audit checks the code; the artifact size, logged times, seeds and paperwork are "
                       "checked by `golfcheck check FOLDER`", err=True)
    return exit_status(report.findings, conf.fail_on(fail_on), exit_zero)
