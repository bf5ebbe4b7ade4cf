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


def looks_like_submission(d: Path) -> str | None:
    """Why ``d`` looks like a submission folder (None when it does not): a submission.json, or a
    train*.py beside a log."""
    try:
        names = {p.name for p in d.iterdir() if p.is_file()}
    except OSError:
        return None
    if "submission.json" in names:
        return "it holds submission.json"
    script = sorted(n for n in names if n.startswith("train") and n.endswith(".py"))
    logs = sorted(n for n in names if n.endswith(".log") or (n.startswith(("train", "log")) and n.endswith(".txt")))
    if script and logs:
        return f"it holds {script[0]} and {logs[0]}"
    return None


def default_target() -> tuple[Path, str]:
    """With no FOLDER: the current folder when it looks like a submission, else the bundled example."""
    here = Path.cwd()
    why = looks_like_submission(here)
    if why:
        return Path("."), f"no FOLDER given: checking the current folder ({why})"
    return bundled_example(), ("no FOLDER given and the current folder is not a submission (no submission.json, "
                               "no train*.py beside a log): checking the bundled example")


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
    """All checks of a submission folder at once. With no FOLDER: the current folder when it looks
    like a submission (a submission.json, or a train*.py beside a log), else the bundled example;
    the first line says which.

    Answers both questions: the rule verdict (ILLEGAL / HOLD / CLEAN: the static audit plus the
    artifact size, the logged training and evaluation times and the validation coverage) and the
    paperwork verdict (INCOMPLETE / COMPLETE: submission.json, seed evidence, logs, layout).
    """
    target, chosen = (Path(path), "") if path else default_target()
    sota = sota_from_folder(sota_folder) if sota_folder else sota_from_values(sota_bpb) if sota_bpb else None
    conf = settings(config_path, select, ignore, audited=[target])
    options = Options(select=conf.selection.select, ignore=conf.selection.ignore,
                      respect_suppressions=conf.config.respect_suppressions, timeout=conf.config.timeout or None,
                      memory=conf.config.memory or None)
    report = check_folder(target, "history" if history else profile, n_seeds, sota, run_audit=not no_audit,
                          options=options)
    report.findings = conf.selection.apply(report.findings)
    report.sections["target"] = {"path": str(target), "chosen": chosen or "given on the command line"}
    if fmt == "json":
        click.echo(dump_json(report.to_dict()), nl=False)
    elif fmt in ("sarif", "github"):
        click.echo(render(report, fmt), nl=False)
    else:
        s = report.sections
        click.echo(f"golfcheck check {one_line(target)} (profile {s['profile']['name']})"
                   + (f": {chosen}" if chosen else "") + "\n")
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
