"""``golfcheck audit PATH...``: static audit of files or folders."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import click

from golfcheck.api import audit_paths
from golfcheck.cli.common import exit_status, fail_on_option, selection_options, settings
from golfcheck.cli.progress import Progress
from golfcheck.engine import Options
from golfcheck.formatters import FORMATS, render, summary


def _stdin_paths(paths, stdin_filename: str | None, tmp: Path) -> tuple[list[str], dict[str, str]]:
    """``-`` becomes a file in ``tmp`` holding what stdin gives (bytes, as a file would be read);
    returns the paths to audit and {temporary path: the name to report}."""
    if "-" not in paths:
        if stdin_filename:
            raise click.UsageError("--stdin-filename needs `-` among the paths")
        return list(paths), {}
    name = Path(stdin_filename).name if stdin_filename else "train_gpt.py"
    if not name.endswith(".py"):
        name += ".py"
    target = tmp / name
    target.write_bytes(sys.stdin.buffer.read())
    return [str(target) if p == "-" else p for p in paths], {str(target): stdin_filename or "-"}


def _unmap(report, names: dict[str, str]):
    from dataclasses import replace

    def name(path: str) -> str:
        return names.get(path, path)

    report.findings = [replace(f, path=name(f.path)) for f in report.findings]
    report.files = [name(p) for p in report.files]
    return report


def _statistics(report) -> list[dict]:
    """Unsuppressed findings per rule: count, and how many at each severity; most frequent first."""
    from golfcheck.findings import sort_key
    from golfcheck.rules import get_rule

    rows: dict[str, dict] = {}
    for f in sorted(report.findings, key=sort_key):
        if f.suppressed:
            continue
        rule = get_rule(f.rule)
        row = rows.setdefault(f.rule, {"rule": f.rule, "name": getattr(rule, "name", ""), "kind": f.kind, "count": 0,
                                       "error": 0, "warning": 0, "note": 0})
        row["count"] += 1
        row[f.severity.value] += 1
    return sorted(rows.values(), key=lambda r: (-r["count"], r["rule"]))


def statistics_text(rows: list[dict]) -> str:
    width = max((len(r["name"]) for r in rows), default=0)
    out = []
    for r in rows:
        split = ", ".join(f"{r[s]} {s}" for s in ("error", "warning", "note") if r[s])
        out.append(f"{r['count']:>5}  {r['rule']}  {r['name']:<{width}}  {split}")
    return "\n".join(out) + ("\n" if out else "")


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
@click.option("--statistics", is_flag=True, help="Print the number of findings per rule instead of the findings (text or json).")
@click.option("-q", "--quiet", is_flag=True, help="Print the report and nothing else (no summary, notes or progress).")
@click.option("--stdin-filename", default=None, help="The name to report for code read from stdin (PATH `-`).")
@click.option("--no-cache", is_flag=True,
              help="Analyse again even when an unchanged file's result is cached (GOLFCHECK_NO_CACHE=1 does the same).")
def audit(paths, fmt, select, ignore, config_path, fail_on, exit_zero, respect_suppressions, history, jobs, timeout, memory,
          output, statistics, quiet, stdin_filename, no_cache):
    """Static audit of train_gpt.py files or submission folders (never runs them).

    Answers the code question: does what the code and its run configuration do break a rule of the
    challenge (rule verdict ILLEGAL / HOLD / CLEAN)? It reads a folder's README, run.sh and logs only
    for the run configuration. The artifact size, the logged times, the seeds and the paperwork
    (submission.json, logs, layout) are `golfcheck check FOLDER`.
    """
    if statistics and fmt not in ("text", "json"):
        raise click.UsageError(f"--statistics prints text or json, not {fmt}")
    # never a pyproject.toml inside what is audited (stdin has no folder)
    conf = settings(config_path, select, ignore, audited=[p for p in paths if p != "-"])
    cfg = conf.config
    options = Options(
        select=conf.selection.select,
        ignore=conf.selection.ignore,
        respect_suppressions=cfg.respect_suppressions if respect_suppressions is None else respect_suppressions,
        history=history,
        timeout=(cfg.timeout if timeout is None else timeout) or None,
        memory=(cfg.memory if memory is None else memory) or None,
        cache=not no_cache,
    )
    progress = Progress(enabled=not quiet)
    with tempfile.TemporaryDirectory(prefix="golfcheck-stdin-") as tmp:
        targets, names = _stdin_paths(paths, stdin_filename, Path(tmp))
        try:
            report = audit_paths(targets, options, jobs=cfg.jobs if jobs is None else jobs, progress=progress)
        finally:
            progress.close()
        _say_what_was_not_audited(targets, report)
        report = _unmap(report, names)
    report.findings = conf.selection.apply(report.findings)  # per-file-ignores need the reported paths
    if statistics:
        rows = _statistics(report)
        out = (json.dumps({**report.verdicts(), "statistics": rows}, indent=2) + "\n" if fmt == "json"
               else statistics_text(rows))
    else:
        out = render(report, fmt)
    if output:
        with open(output, "w", encoding="utf-8") as fh:
            fh.write(out)
    else:
        click.echo(out, nl=False)
        if fmt == "text" and report.sections.get("units") and not statistics:
            click.echo(units_text(report.sections["units"]), nl=False)
    if (fmt == "text" or output) and not quiet:
        click.echo(summary(report), err=True)
        if any(p != "-" and Path(p).is_dir() for p in paths):
            click.echo("audit checks the code; the artifact size, logged times, seeds and paperwork are "
                       "checked by `golfcheck check FOLDER`", err=True)
    return exit_status(report.findings, conf.fail_on(fail_on), exit_zero)
