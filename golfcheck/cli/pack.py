"""``golfcheck pack``: build the single-file train_gpt.py of the reference MDLM submission."""

from __future__ import annotations

from pathlib import Path

import click

from golfcheck.errors import GolfcheckError


@click.command()
@click.option("-o", "--out", "out", default="train_gpt.py", show_default=True,
              type=click.Path(dir_okay=False), help="Where to write the packed script.")
@click.option("--compress", is_flag=True, help="Write a self-extracting lzma+base85 exec wrapper.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def pack(out: str, compress: bool, fmt: str) -> int:
    """Inline the reference model and the metric primitives into one self-contained train_gpt.py."""
    from golfcheck.pack import pack as do_pack

    parent = Path(out).resolve().parent
    if not parent.is_dir():
        raise GolfcheckError("output folder does not exist", str(parent))
    nbytes = do_pack(out, compress=compress)
    if fmt == "json":
        import json

        click.echo(json.dumps({"path": out, "code_bytes": nbytes, "compressed": compress}))
    else:
        click.echo(f"wrote {out}: {nbytes} bytes{' (lzma+base85 self-extracting)' if compress else ''}")
    return 0
