"""``golfcheck audit PATH...``: static audit of files or folders."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from golfcheck.api import audit_paths
from golfcheck.config import load_config
from golfcheck.engine import Options
from golfcheck.findings import fails
from golfcheck.formatters import FORMATS, render, summary


def split_codes(values) -> tuple[str, ...]:
    out = []
    for v in values or ():
        out.extend(x.strip().upper() for x in v.split(",") if x.strip())
    return tuple(out)


def _say_what_was_not_audited(paths, report) -> None:
    """Nothing to audit is a usage error (exit 2); a submission-like folder without code is said."""
    from golfcheck.api import skipped_folders
    from golfcheck.errors import GolfcheckError

    skipped = skipped_folders(paths)
    if not report.files:
        where = ", ".join(str(p) for p in paths)
        raise GolfcheckError("nothing to audit: no .py file" + (" in it" if len(paths) == 1 else " in them"), where)
    for d in skipped:
        click.echo(f"golfcheck: {d}: no .py file, nothing to audit there (not audited)", err=True)


def units_text(rows: list[dict]) -> str:
    """The per-folder verdict table that ends a multi-folder text audit."""
    from golfcheck.checks.render import table

    body = [[r["path"], str(r["files"]), str(r["error"]), str(r["warning"]), str(r["note"]), r["verdict"]] for r in rows]
    return "\nper folder:\n" + table(["folder", "files", "errors", "warnings", "notes", "rule verdict"], body)


def _progress(done: int, total: int) -> None:
    if total > 1 and sys.stderr.isatty():
        click.echo(f"\raudited {done}/{total}", err=True, nl=done == total)


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None, help="Output format (default text).")
@click.option("--select", multiple=True, help="Only these rule ids or prefixes (comma-separated, repeatable).")
@click.option("--ignore", multiple=True, help="Skip these rule ids or prefixes.")
@click.option("--fail-on", type=click.Choice(["error", "warning", "note", "never"]), default=None,
              help="Exit 1 when a finding at or above this severity remains (default error).")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even with findings (2 still means golfcheck failed).")
@click.option("--respect-suppressions", is_flag=True, default=None,
              help="Obey `# golfcheck: ignore[...]` comments (never in CI: submissions are untrusted).")
@click.option("--history", is_flag=True, default=None, help="Judge merged records by the rulings of their date.")
@click.option("-j", "--jobs", type=int, default=None, help="Worker processes; 0 = all cores.")
@click.option("--timeout", type=click.FloatRange(min=0), default=None,
              help="Seconds one file or folder may take before it is reported as GC002 (default 300; 0 = no limit).")
@click.option("--memory", type=click.FloatRange(min=0), default=None,
              help="MiB one file or folder may allocate before it is reported as GC002 (default 1024; 0 = no cap).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write the report here instead of stdout.")
@click.option("--config", "config_path", type=click.Path(), help="pyproject.toml to read [tool.golfcheck] from.")
def audit(paths, fmt, select, ignore, fail_on, exit_zero, respect_suppressions, history, jobs, timeout, memory, output,
          config_path):
    """Static audit of train_gpt.py files or submission folders (never runs them).

    Answers the code question: does what the code and its run configuration do break a rule of the
    challenge (rule verdict ILLEGAL / HOLD / CLEAN)? It reads a folder's README, run.sh and logs only
    for the run configuration. The artifact size, the logged times, the seeds and the paperwork
    (submission.json, logs, layout) are `golfcheck check FOLDER`.
    """
    cfg = load_config(config_path, audited=paths)  # never a pyproject.toml inside what is audited
    options = Options(
        select=split_codes(select) or cfg.select,
        ignore=split_codes(ignore) + cfg.ignore,
        respect_suppressions=cfg.respect_suppressions if respect_suppressions is None else respect_suppressions,
        history=cfg.history if history is None else history,
        timeout=(cfg.timeout if timeout is None else timeout) or None,
        memory=(cfg.memory if memory is None else memory) or None,
    )
    fmt = fmt or cfg.format
    if fmt not in FORMATS:
        raise click.BadParameter(f"unknown format {fmt!r}", param_hint="--format")
    report = audit_paths(paths, options, jobs=cfg.jobs if jobs is None else jobs, progress=_progress)
    _say_what_was_not_audited(paths, report)
    out = render(report, fmt)
    if output:
        with open(output, "w", encoding="utf-8") as fh:
            fh.write(out)
    else:
        click.echo(out, nl=False)
        if fmt == "text" and report.sections.get("units"):
            click.echo(units_text(report.sections["units"]), nl=False)
    if fmt == "text" or output:
        click.echo(summary(report), err=True)
        if any(Path(p).is_dir() for p in paths):
            click.echo("audit checks the code; the artifact size, logged times, seeds and paperwork are "
                       "checked by `golfcheck check FOLDER`", err=True)
    if exit_zero:
        return 0
    return 1 if fails(report.findings, fail_on or cfg.fail_on) else 0
