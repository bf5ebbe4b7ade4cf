"""``golfcheck writeup FOLDER``: render README.md and submission.json from the folder's checks."""

from __future__ import annotations

import click

from golfcheck.checks.render import dump_json
from golfcheck.checks.significance import sota_from_folder, sota_from_values
from golfcheck.cli.logs import PROFILE


@click.command()
@click.argument("path", type=click.Path())
@click.option("--output-dir", type=click.Path(file_okay=False), default=None,
              help="Write README.md and submission.json here instead of into FOLDER.")
@click.option("--force", is_flag=True, help="Overwrite existing files (otherwise show a diff and exit 1).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              help="json: print what would be written, write nothing.")
@click.option("--profile", type=PROFILE, default=None, help="record or non-record (default: from the folder's track).")
@click.option("--sota", "sota_folder", type=click.Path(), default=None, help="SOTA submission folder to compare with.")
@click.option("--sota-bpb", default=None, help="SOTA per-seed val_bpb values, comma-separated.")
@click.option("--author", default=None, help="submission.json author (default: the existing file's).")
@click.option("--github-id", default=None, help="submission.json github_id (default: the existing file's).")
@click.option("--name", default=None, help="Run title (default: the existing file's, else the folder name).")
@click.option("--blurb", default=None, help="One-paragraph summary (default: the existing file's).")
@click.option("--hardware", default=None,
              help="submission.json hardware, e.g. '8xH100 80GB SXM' (default: the GPU model the logs name, "
                   "else the existing file's).")
def writeup(path, output_dir, force, fmt, profile, sota_folder, sota_bpb, author, github_id, name, blurb, hardware):
    """Render the PR's README.md and submission.json from the logs and every folder check.

    Every per-seed number cites the log line it comes from. The author's README sections (What
    changed, Credits, Requirements, and any section golfcheck does not render) and every
    submission.json key golfcheck does not compute are kept. Existing files are not overwritten
    without --force: a unified diff is shown instead and the exit code is 1. The exit code is also 1
    when the rendered submission.json does not pass the strict schema (e.g. author fields missing).
    """
    from golfcheck.writeup import build, plan

    sota = sota_from_folder(sota_folder) if sota_folder else sota_from_values(sota_bpb) if sota_bpb else None
    w = build(path, profile, sota, {"author": author, "github_id": github_id, "name": name, "blurb": blurb,
                                    "hardware": hardware})
    planned = plan(w, output_dir)
    if fmt == "json":
        click.echo(dump_json({
            "verdict": w.report.verdict.value,
            "profile": w.profile,
            "files": {str(p.path): p.text for p in planned},
            "submission_json": w.submission,
            "schema_errors": w.schema_errors,
            "kept_sections": w.kept_sections,
            "replaced_keys": w.replaced_keys,
            "findings": [f.to_dict() for f in w.report.findings],
        }), nl=False)
        return 1 if w.schema_errors else 0
    for h in w.kept_sections:
        click.echo(f"kept the author's README section {h!r}", err=True)
    for old_key, new_key in w.replaced_keys.items():
        click.echo(f"submission.json: {old_key!r} is replaced by {new_key!r} (recomputed from the logs)", err=True)
    if "hardware" not in w.submission:
        click.echo("submission.json: no hardware (the logs do not name the GPU model); give --hardware", err=True)
    blocked = [p for p in planned if p.existing is not None and p.changed and not force]
    if blocked:
        for p in blocked:
            click.echo(p.diff(), nl=False)
        click.echo(f"golfcheck: {', '.join(str(p.path) for p in blocked)} exist(s) and would change; "
                   f"nothing written (use --force to overwrite, or --output-dir)", err=True)
        return 1
    for p in planned:
        if not p.changed:
            click.echo(f"unchanged {p.path}", err=True)
            continue
        p.path.parent.mkdir(parents=True, exist_ok=True)
        p.path.write_text(p.text, encoding="utf-8")
        click.echo(f"wrote {p.path}", err=True)
    click.echo(f"folder verdict: {w.report.verdict.value}", err=True)
    if w.schema_errors:
        click.echo("submission.json does not yet pass the strict schema:", err=True)
        for e in w.schema_errors:
            click.echo(f"  {e}", err=True)
        return 1
    return 0
