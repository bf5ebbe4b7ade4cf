"""The facts pass computes node positions itself (a code generation that tracks line and column).

They must be exactly libcst's PositionProvider positions: findings cite them, and code text is cut
from the source by them.
"""

from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from golfcheck.facts import Facts, walk
from golfcheck.source import Source

TRICKY = {
    "decorators and elif": (
        "import torch\n\n@torch.no_grad()\n@staticmethod\ndef f(x, *a, k=1, **kw):\n"
        "    if x:\n        return 1\n    elif x > 2:  # c\n        return 2\n    else:\n        return 3\n"
    ),
    "crlf line endings": "x = 1\r\ny = (\r\n  2 +\r\n  3)\r\nif y:\r\n    z = x\r\n",
    "lone cr": "a = 1\rb = a + 1\r",
    "tabs and semicolons": "def g():\n\ta = 1; b = 2\n\treturn a + b\n",
    "multi-line strings and f-strings": 's = """one\ntwo"""\nt = f"{s!r:>10} and {len(s)}"\nu = \'é\' * 3\n',
    "comprehensions and lambdas": "ys = [y for x in range(3) if x for y in (x, -x)]\nf = lambda q=1: q ** 2\n",
    "backslash continuation": "total = 1 + \\\n    2\nwith open('a') as fa, \\\n     open('b') as fb:\n    pass\n",
    "no trailing newline": "x = [1,\n  2]",
    "parenthesised imports and subscripts": (
        "from m import (\n    a as b,\n    c,\n)\nfrom . import (d)\nx = {1: [2, (3,)]}[1][0]\n"
    ),
    "class with methods": "class M:\n    x: int = 3\n\n    def forward(self, t):\n        return t[:, 1:]\n",
}


def _compare(text: str) -> None:
    module = cst.parse_module(text)
    facts = Facts.build(Source("t.py", text), module)
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    checked = 0
    for node in walk(module):
        if isinstance(node, cst.Module):
            continue
        r = expected[node]
        assert facts.span(node) == (r.start.line, r.start.column, r.end.line, r.end.column), (type(node).__name__, facts.code(node))
        checked += 1
    assert checked > 0


@pytest.mark.parametrize("name", sorted(TRICKY))
def test_positions_match_position_provider(name):
    _compare(TRICKY[name])


def test_positions_match_on_real_files():
    """The bundled example submission and golfcheck's own larger modules (real, varied code)."""
    root = Path(__file__).resolve().parents[2]
    files = [root / "golfcheck/data/example/train_gpt.py", root / "golfcheck/facts.py", root / "rules/_eval_time.py"]
    for path in files:
        _compare(path.read_text(encoding="utf-8"))


def test_code_is_the_syntactic_span():
    text = "def f(a):\n    # comment\n    y = g(a,\n          b)  # tail\n    return y\n"
    module = cst.parse_module(text)
    facts = Facts.build(Source("t.py", text), module)
    call = next(n for n in walk(module) if isinstance(n, cst.Call))
    assert facts.code(call) == "g(a,\n          b)"
    stmt = next(n for n in walk(module) if isinstance(n, cst.SimpleStatementLine))
    assert facts.code(stmt) == "y = g(a,\n          b)"
    assert facts.position(call) == (3, 8)
    # a node that is not part of the module falls back to code generation
    assert facts.code(cst.parse_expression("h(1)")) == "h(1)"


def test_function_facts_lines_and_decorator_scope():
    text = "import torch\n\n@torch.no_grad()\ndef ev(x):\n    return x\n\ndef ev(x):\n    return x + 1\n"
    facts = Facts.build(Source("t.py", text), cst.parse_module(text))
    first, second = facts.functions["ev"], facts.functions["ev@7"]
    assert (first.line, first.end_line) == (4, 5)
    assert (second.line, second.end_line) == (7, 8)
    # the decorator runs in the enclosing scope
    assert [c.func for c in facts.module_level.calls] == ["torch.no_grad"]
    assert first.calls == []
