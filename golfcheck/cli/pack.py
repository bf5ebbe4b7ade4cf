"""``golfcheck pack``: build the single-file train_gpt.py of the reference MDLM submission."""

from __future__ import annotations

from pathlib import Path

import click

from golfcheck.errors import GolfcheckError


@click.command()
@click.option("-o", "--out", "out", default="train_gpt.py", show_default=True,
              type=click.Path(dir_okay=False), help="Where to write the packed script.")
@click.option("--compress", is_flag=True, help="Write a self-extracting lzma+base85 exec wrapper.")
@click.option("--force", is_flag=True, help="Overwrite an existing file (otherwise nothing is written and the exit code is 1).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def pack(out: str, compress: bool, force: bool, fmt: str) -> int:
    """Inline the reference model and the metric primitives into one self-contained train_gpt.py.

    An existing file is never overwritten without --force (the default output, ./train_gpt.py, is
    usually a competitor's own script)."""
    from golfcheck.pack import compress_source, pack_source

    path = Path(out)
    parent = path.resolve().parent
    if not parent.is_dir():
        raise GolfcheckError("output folder does not exist", str(parent))
    if path.is_dir():
        raise GolfcheckError("is a folder; give a file name with -o", out)
    source = pack_source()
    data = (compress_source(source) if compress else source).encode("utf-8")
    if path.exists() and not force:
        if path.read_bytes() == data:
            click.echo(f"unchanged {out}", err=True)
            return 0
        click.echo(f"golfcheck: {out} exists and would change; nothing written (use --force to overwrite, "
                   f"or -o PATH)", err=True)
        return 1
    path.write_bytes(data)
    nbytes = len(data)
    if fmt == "json":
        import json

        click.echo(json.dumps({"path": out, "code_bytes": nbytes, "compressed": compress}))
    else:
        click.echo(f"wrote {out}: {nbytes} bytes{' (lzma+base85 self-extracting)' if compress else ''}")
    return 0
