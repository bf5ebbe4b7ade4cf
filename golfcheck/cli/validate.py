"""``golfcheck validate FOLDER --seeds 3 [--sota FOLDER|--sota-bpb ...] [--run "CMD"]``."""

from __future__ import annotations

import click

from golfcheck.checks.common import finding, profile_of
from golfcheck.checks.folder import folder
from golfcheck.checks.render import counts_line, dump_json, findings_text, validate_text, with_verdicts
from golfcheck.checks.significance import sota_from_folder, sota_from_values, validate as run_validate
from golfcheck.cli.common import exit_status, fail_on_option, selection_options, settings
from golfcheck.cli.logs import PROFILE
from golfcheck.errors import GolfcheckError
from golfcheck.findings import Severity


def _seed_list(text: str | None, n: int, declared: list[int]) -> list[int]:
    from golfcheck.checks.runner import DEFAULT_SEEDS

    if text:
        try:
            seeds = [int(s) for s in text.replace(" ", "").split(",") if s]
        except ValueError:
            raise GolfcheckError(f"--run-seeds expects comma-separated integers, got {text!r}") from None
        if len(set(seeds)) != len(seeds):
            raise GolfcheckError("--run-seeds lists a seed twice")
        return seeds
    pool = list(dict.fromkeys([*declared, *DEFAULT_SEEDS]))
    return pool[:n]


def _only_new_logs(sub, outcomes):
    """The folder as reloaded, with only the logs the runs just wrote (older logs are not evidence
    of what the command produced)."""
    new = {o.log for o in outcomes}
    sub.logs = [f for f in sub.logs if f.rel in new]
    return sub


def _run_findings(sub, outcomes) -> list:
    """A run that failed, or that finished without a scored val_bpb line, is an error in every profile."""
    from golfcheck.checks.folder import logs_of

    scored = {r.run.log for r in logs_of(sub, "record").rows if r.run.scored is not None}
    out = []
    for o in outcomes:
        tail = "\n".join(o.tail[-10:])
        if not o.ok:
            out.append(finding(
                "GC602", Severity.ERROR, sub, o.log, 1,
                f"run for seed {o.seed} failed (exit {o.returncode}); log kept in {o.log}; last lines:\n{tail}",
                profile="record", kind="paperwork"))
        elif o.log not in scored:
            out.append(finding(
                "GC602", Severity.ERROR, sub, o.log, 1,
                f"run for seed {o.seed} finished but printed no scored val_bpb line (see {o.log}); last lines:\n{tail}",
                profile="record", kind="paperwork"))
    return out


@click.command()
@click.argument("path", type=click.Path())
@click.option("--seeds", "n_seeds", type=click.IntRange(1, 100), default=3, show_default=True,
              help="Distinct seeds with a scored value required.")
@click.option("--sota", "sota_folder", type=click.Path(), default=None, help="SOTA submission folder.")
@click.option("--sota-bpb", default=None, help="SOTA per-seed val_bpb values, comma-separated.")
@click.option("--sota-c", type=float, default=None, help="SOTA bpb/nats ratio (with --sota-bpb).")
@click.option("--systems-only", is_flag=True,
              help="Systems-only speedup: waive the significance gate; require unchanged val_bpb (two-sided p > 0.05).")
@click.option("--no-leaderboard", is_flag=True, help="Do not fall back to the shipped leaderboard snapshot.")
@click.option("--run", "command", default=None,
              help="Run this command once per seed (SEED in its environment, cwd = FOLDER), then validate exactly "
                   "the logs those runs wrote; a failed run, or one without a scored line, is an error.")
@click.option("--run-seeds", default=None, help="Seeds for --run (default: submission.json's, then 42,314,999...).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", help="Output format.")
@selection_options
@fail_on_option
@click.option("--profile", type=PROFILE, default=None, help="Severity profile (default: from the folder's track).")
@click.option("--history", is_flag=True, help="Judge a merged record: findings become notes (= --profile history).")
def validate(path, n_seeds, sota_folder, sota_bpb, sota_c, systems_only, no_leaderboard, command, run_seeds, fmt, select, ignore, config_path, fail_on, profile, history):
    """Multi-seed evidence: enough distinct seeds, strict (0.005 nats, p<0.01) and progression (p<0.25) Welch tests."""
    conf = settings(config_path, select, ignore, audited=[path])
    if sota_folder and sota_bpb:
        raise GolfcheckError("give either --sota or --sota-bpb, not both")
    sota = None
    if sota_folder:
        sota = sota_from_folder(sota_folder)
    elif sota_bpb:
        sota = sota_from_values(sota_bpb, sota_c)
    sub = folder(path)
    outcomes = []
    if command:
        from golfcheck.checks import evidence
        from golfcheck.checks.runner import run_seeds as run_all

        seeds = _seed_list(run_seeds, n_seeds, evidence.declared_seeds(sub.submission_json))
        outcomes = run_all(sub.root, command, seeds)
        sub = _only_new_logs(folder(path), outcomes)  # validate exactly the runs just started
    prof = profile_of(sub, "history" if history else profile)
    res = run_validate(sub, n_seeds, sota, prof, use_leaderboard=not no_leaderboard, systems_only=systems_only)
    if outcomes:
        res.findings.extend(_run_findings(sub, outcomes))
    res.findings[:] = conf.selection.apply(res.findings)
    d = res.to_dict()
    if outcomes:
        d["runs"] = [o.to_dict() for o in outcomes]
    if fmt == "json":
        click.echo(dump_json(with_verdicts(d, res.findings)), nl=False)
    else:
        click.echo(validate_text(d), nl=False)
        click.echo(findings_text(res.findings), nl=False)
        click.echo(counts_line(res.findings), err=True)
    return exit_status(res.findings, conf.fail_on(fail_on))
