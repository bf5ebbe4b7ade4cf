"""GC503 — a compressed or minified self-extracting wrapper: decoded and audited (note)."""

from golfcheck.findings import Severity
from golfcheck.rule import Example, Rule, Ruling


class WrapperDecoded(Rule):
    id = "GC503"
    name = "wrapper-decoded"
    severity = Severity.NOTE
    summary = "train_gpt.py is a self-extracting wrapper; golfcheck decoded it and audited the inner source."
    rationale = (
        "Shipping train_gpt.py as exec(lzma.decompress(b85decode(...))) saves code bytes and is legal: the counted "
        "bytes are the wrapper's. Every other rule runs on the decoded payload, and a reviewer should know the "
        "findings' line numbers refer to it. Wrappers that do not decode are GC002 (opaque code)."
    )
    looks_for = "Sources whose origin is wrapper:<chain> (b85decode>lzma-raw, b64decode>zlib, ...) from the normaliser."
    traps = ("A plain source file is not a wrapper.",
             "An undecodable exec payload is reported by GC002, not here.")
    rulings = (Ruling("RULES.md GC503: raw LZMA2 wrappers in 7 HEAD records (e.g. 2026-04-06_SP8192_QK5_LegalTTT_1.0828)",
                      "https://github.com/openai/parameter-golf/pull/1413", "legal; audit the inner source"),)

    def check(self, ctx):
        shipped = {(f.path): f for f in ctx.facts if not f.source.in_payload}
        for facts in ctx.facts:
            origin = facts.source.origin or ""
            if not (facts.source.in_payload and origin.startswith("wrapper:")):
                continue
            chain = origin.split(":", 1)[1]
            outer = shipped.get(facts.path)
            line = 1
            if outer is not None:
                execs = [c for _, c in outer.all_calls() if c.name in ("exec", "eval")]
                line = execs[0].line if execs else 1
            size_in = len(outer.source.text.encode()) if outer is not None else 0
            size_out = len(facts.source.text.encode())
            yield ctx.finding(self, outer or facts, line,
                              f"self-extracting wrapper decoded ({chain}: {size_in:,} -> {size_out:,} bytes); all rules "
                              "audited the decoded source, whose line numbers their findings use")

    VALID = (Example("print('plain source')\n", trap="plain source file"),)
    INVALID = (
        Example(
            """
            import base64, zlib
            exec(zlib.decompress(base64.b64decode("eJwrKMrMK9FQz0jNyclXSCvKz1UoyUhVKEiszMlPTFHX5AIAwo0LKg==")))
            """,
            trap="b64decode>zlib wrapper", lines=(2,),
        ),
    )
