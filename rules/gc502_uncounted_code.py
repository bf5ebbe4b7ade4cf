"""GC502 — code that runs but lives outside the counted train_gpt.py (sibling modules, exec stubs, native code)."""

from golfcheck.findings import Severity
from golfcheck.rule import Example, Rule, Ruling
from ._data_bytes import text_finding

PRECEDENT = "merged precedent exists (#1514 uncounted helpers, #1412 exec stub): a reviewer decides"


class UncountedCode(Rule):
    id = "GC502"
    name = "uncounted-code"
    severity = Severity.WARNING
    summary = "Code executed from outside train_gpt.py (local imports, exec'd siblings, native helpers) evades the byte count."
    rationale = (
        "The README: all counted code should live in train_gpt.py. Sibling modules, exec(open(sibling)) stubs and "
        "compiled helpers run but are not counted. Enforcement was uneven (#1514's helpers were declared 'NOT part "
        "of the 16MB artifact accounting' and merged; #1412 is a 74-byte stub exec'ing train_gpt_decode.py), so "
        "this is a HOLD for a reviewer, not an error."
    )
    looks_for = (
        "import/from-import of a .py in the folder, exec/runpy/importlib of a sibling (incl. "
        "__file__.replace(...)), load_inline/cpp_extension.load/ctypes/compiler subprocesses, in the counted file "
        "and in its decoded payload (golfcheck.checks.counted_code.scan)."
    )
    traps = (
        "Standard-library and pip imports are not local code.",
        "Helpers inlined into train_gpt.py (or into its compressed payload) are counted.",
    )
    rulings = (Ruling("README FAQ: all counted code should live in train_gpt.py",
                      "https://github.com/openai/parameter-golf#faq", ""),
               Ruling("PR #1514 (merged) helpers outside the count", "https://github.com/openai/parameter-golf/pull/1514", ""))

    def check(self, ctx):
        sub = ctx.submission
        if sub is None or sub.counted_file is None:
            yield from self._from_origins(ctx)
            return
        from golfcheck.checks.counted_code import scan

        counted = sub.counted_file.rel
        followed = {f.path for f in ctx.facts if f.source.origin in ("sibling-exec", "local-import")}
        seen = set()
        for facts in ctx.facts:
            if facts.path != counted and facts.path not in followed:
                continue
            for ref in scan(facts.source.text, sub, facts.path, facts.source.in_payload):
                key = (ref.kind, ref.target, facts.path)
                if key in seen:
                    continue
                seen.add(key)
                where = " (in the decoded payload)" if ref.in_payload else ""
                if ref.kind == "native":
                    msg = f"native code built or loaded at run time{where}: `{ref.text}`; its source is not counted; {PRECEDENT}"
                else:
                    verb = "imported" if ref.kind == "import" else "executed"
                    msg = (f"{ref.target} is {verb} by {facts.path}{where} (`{ref.text}`) but is not counted in "
                           f"{counted}; {PRECEDENT}")
                yield ctx.finding(self, facts, ref.line, msg)

    def _from_origins(self, ctx):
        for facts in ctx.facts:
            if facts.source.origin in ("sibling-exec", "local-import") and not facts.source.in_payload:
                how = "executed" if facts.source.origin == "sibling-exec" else "imported"
                yield text_finding(self, facts.source.via or facts.path, 1,
                                   f"{facts.path} is {how} by {facts.source.via} but is not counted; {PRECEDENT}")

    VALID = (
        Example(
            """
            import math
            import numpy as np
            def helper(x):
                return math.sqrt(x)
            """,
            trap="stdlib and pip imports; helpers inlined",
        ),
    )
    INVALID = (
        Example(
            """
            from ngram_tilt import build_hints
            print(build_hints)
            """,
            files={"ngram_tilt.py": "def build_hints():\n    return 1\n"},
            trap="local module import (#1514)", lines=(1,),
        ),
        Example(
            "exec(open(__file__.replace('train_gpt.py', 'train_gpt_decode.py')).read())\n",
            files={"train_gpt_decode.py": "print('the real script')\n"},
            trap="74-byte exec stub (#1412)", lines=(1,),
        ),
    )
