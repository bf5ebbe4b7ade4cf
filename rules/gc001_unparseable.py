"""GC001 — a code file that does not parse (syntax error, not UTF-8, binary, empty)."""

from golfcheck.findings import Severity
from golfcheck.rule import Example, Rule, Ruling


class Unparseable(Rule):
    id = "GC001"
    name = "unparseable-file"
    severity = Severity.ERROR
    summary = "A code file (or a decoded wrapper payload) is not valid Python source."
    rationale = (
        "The README requires that train_gpt.py compile and run from inside the records folder. A file "
        "golfcheck cannot parse also cannot be audited, so it is reported instead of crashing."
    )
    looks_for = "Syntax errors, invalid UTF-8, binary content and empty files, in shipped files and in decoded payloads."
    traps = ("A self-extracting wrapper is parsed twice: the wrapper and its decoded payload; both must parse.",)
    rulings = (Ruling("README: Submission Process", "https://github.com/openai/parameter-golf#submission-process",
                      "train_gpt.py must successfully compile and run within the records folder"),)

    def check(self, ctx):
        return [f for f in ctx.tool_findings if f.rule == self.id]

    VALID = (Example("print('hello')\n", trap="ordinary source"),)
    INVALID = (
        Example("def main(:\n    pass\n", trap="syntax error", lines=(1,)),
        Example(" ", trap="empty file"),
        Example(
            """
            import base64, zlib
            exec(zlib.decompress(base64.b64decode("eJwrKMrMK9FQqlACABFYAxI=")))
            """,
            trap="a wrapper whose decoded payload does not parse",
        ),
    )
