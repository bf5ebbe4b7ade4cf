"""``golfcheck check [FOLDER]``: audit, size, logs, wallclock, metadata and validate in one report."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import click

from golfcheck.checks.folder import check_folder
from golfcheck.checks.render import counts_line, dump_json, findings_text, logs_table, size_text, validate_text
from golfcheck.checks.significance import sota_from_folder, sota_from_values
from golfcheck.cli.common import exit_status, fail_on_option, selection_options, settings
from golfcheck.cli.logs import PROFILE
from golfcheck.engine import Options
from golfcheck.errors import GolfcheckError
from golfcheck.escape import one_line
from golfcheck.findings import verdict_line
from golfcheck.formatters import render


def bundled_example() -> Path:
    try:
        p = Path(str(resources.files("golfcheck.data").joinpath("example")))
    except (ModuleNotFoundError, TypeError):
        p = None
    if p is None or not p.is_dir() or not any(p.iterdir()):
        raise GolfcheckError("the bundled example submission is not installed; give a FOLDER to check",
                             "golfcheck/data/example")
    return p


@click.command()
@click.argument("path", required=False, type=click.Path())
@click.option("--seeds", "n_seeds", type=click.IntRange(1, 100), default=3, show_default=True)
@click.option("--sota", "sota_folder", type=click.Path(), default=None, help="SOTA submission folder.")
@click.option("--sota-bpb", default=None, help="SOTA per-seed val_bpb values, comma-separated.")
@click.option("--no-audit", is_flag=True, help="Skip the static code audit.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif", "github"]), default="text",
              help="Output format.")
@selection_options
@fail_on_option
@click.option("--profile", type=PROFILE, default=None, help="Severity profile (default: from the folder's track).")
@click.option("--history", is_flag=True, help="Judge a merged record: findings become notes (= --profile history).")
def check(path, n_seeds, sota_folder, sota_bpb, no_audit, fmt, select, ignore, config_path, fail_on, profile, history):
    """All checks of a submission folder at once; with no FOLDER, the bundled example submission.

    Answers both questions: the rule verdict (ILLEGAL / HOLD / CLEAN: the static audit plus the
    artifact size, the logged training and evaluation times and the validation coverage) and the
    paperwork verdict (INCOMPLETE / COMPLETE: submission.json, seed evidence, logs, layout).
    """
    target = Path(path) if path else bundled_example()
    sota = sota_from_folder(sota_folder) if sota_folder else sota_from_values(sota_bpb) if sota_bpb else None
    conf = settings(config_path, select, ignore, audited=[target])
    options = Options(select=conf.selection.select, ignore=conf.selection.ignore,
                      respect_suppressions=conf.config.respect_suppressions, timeout=conf.config.timeout or None,
                      memory=conf.config.memory or None)
    report = check_folder(target, "history" if history else profile, n_seeds, sota, run_audit=not no_audit,
                          options=options)
    report.findings = conf.selection.apply(report.findings)
    if fmt == "json":
        click.echo(dump_json(report.to_dict()), nl=False)
    elif fmt in ("sarif", "github"):
        click.echo(render(report, fmt), nl=False)
    else:
        s = report.sections
        click.echo(f"golfcheck check {one_line(target)} (profile {s['profile']['name']})\n")
        audit = s.get("audit")
        if audit is not None:
            click.echo("== audit" + (f": {audit.get('note')}" if audit.get("skipped") else
                                     f": {audit.get('findings', 0)} finding(s), verdict {audit.get('verdict')}"))
        click.echo("== size\n" + size_text(s["size"]), nl=False)
        click.echo("== logs\n" + (logs_table(s["logs"]) if s["logs"]["runs"] else "no logs found\n"), nl=False)
        w = s["wallclock"]
        def sec(v):
            return "-" if v is None else f"{v:.3f} s"

        click.echo(f"== wallclock\nmax train {sec(w.get('max_train_seconds'))} (with training-data calibration "
                   f"{sec(w.get('max_train_data_seconds'))}), max eval {sec(w.get('max_eval_seconds'))}; hardware: "
                   f"world size {w['hardware'].get('world_sizes') or '?'}, GPUs {w['hardware'].get('gpus') or 'not logged'}")
        click.echo("== validate\n" + validate_text(s["validate"]), nl=False)
        click.echo("== findings")
        click.echo(findings_text(report.findings), nl=False)
        click.echo(verdict_line(report))
        click.echo(counts_line(report), err=True)
    return exit_status(report.findings, conf.fail_on(fail_on))
