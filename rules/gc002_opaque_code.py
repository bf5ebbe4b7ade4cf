"""GC002 — code golfcheck cannot read: undecodable exec payloads and native helpers."""

from golfcheck.findings import Severity
from golfcheck.rule import Example, Rule, Ruling


class OpaqueCode(Rule):
    id = "GC002"
    name = "opaque-code"
    severity = Severity.WARNING
    summary = "Code that cannot be audited statically (undecodable exec payload, C/C++/CUDA helpers)."
    rationale = (
        "A rule violation hidden in code golfcheck cannot read is still a violation. Compiled helpers "
        "(load_inline, ctypes, g++ subprocesses) carried the realised-token n-gram gates of several "
        "rejected PRs, so a human reviewer must read them."
    )
    looks_for = (
        "exec/eval of expressions that do not decode statically; torch.utils.cpp_extension.load_inline/load; "
        "ctypes.CDLL; subprocesses that run a compiler; .cpp/.cu/.so files shipped in the folder."
    )
    traps = (
        "Wrappers that do decode statically (raw LZMA2 with explicit filters, base85, zlib) are not opaque: they are decoded and audited (GC503).",
        "exec(open(sibling).read()) of a file inside the folder is followed, not opaque.",
    )
    rulings = (Ruling("RULES.md GC108 / §3.1 (PR #1420 causal fix in a C++ kernel)",
                      "https://github.com/openai/parameter-golf/pull/1420",
                      "realised-token gates lived in compiled helpers"),)

    def check(self, ctx):
        return [f for f in ctx.tool_findings if f.rule == self.id]

    VALID = (
        Example(
            """
            import base64, zlib
            exec(zlib.decompress(base64.b64decode("eJwrKMrMK9FQqlACABFYAxI=")).decode() + ")")
            """,
            trap="a decodable wrapper is audited, not opaque",
        ),
        Example("exec(open(__file__.replace('train_gpt.py', 'helper.py')).read())\n",
                files={"helper.py": "x = 1\n"}, trap="sibling exec inside the folder is followed"),
    )
    INVALID = (
        Example("import os\nexec(os.environ['PAYLOAD'])\n", trap="exec of a runtime value"),
        Example(
            """
            from torch.utils.cpp_extension import load_inline
            mod = load_inline(name="k", cpp_sources=["int f(){return 1;}"], functions=["f"])
            """,
            trap="inline C++",
        ),
        Example(
            """
            import ctypes, subprocess
            subprocess.run(["g++", "-O3", "-shared", "k.cpp", "-o", "k.so"], check=True)
            lib = ctypes.CDLL("./k.so")
            """,
            trap="compiler subprocess and ctypes",
        ),
    )
