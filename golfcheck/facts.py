"""Facts: one libcst pass per source, and the derived facts every rule shares.

Per function (module-level code is the pseudo-function ``<module>``): call sites, assignments
(incl. ``+=`` accumulations), loops, subscripts, if-guards, each with its line and the loops and
``with`` blocks around it. Derived on demand: the call graph, the scoring accumulators, the
evaluation path, validation-data taint (inter-procedural through arguments), and dormancy of a line
under the run configuration. The pass is a code generation that tracks line and column, so positions
(the same as libcst's PositionProvider) cost no metadata pass; qualified-name resolution (~4x a parse)
is never computed: import aliases are resolved from the file's own import statements.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Iterable, Iterator

import libcst as cst
from libcst._nodes.internal import CodegenState

from golfcheck.runconfig import ENV_GETTERS, RunConfig, truthy
from golfcheck.tree import (_COMPREHENSIONS, _KIDS, clear_memos, comprehension_bound, find,  # noqa: F401
                            iter_descendants, names_read, node_children, subtree, walk)
from golfcheck.source import Source, dotted_name, string_value  # noqa: F401 - string_value is re-exported

MODULE = "<module>"
# Names that hold validation tokens (RULES.md §3.3 core taint sources).
VAL_NAME = re.compile(
    r"(^|[._])(val_tokens|val_data|val_np|val_ids|val_tok|val_toks|val_stream|val_seq|val_buf|val_arr|"
    r"validation_tokens|val_token_ids|val_tensor|valid_tokens|eval_tokens|val_targets)$"
)
VAL_STRING = re.compile(r"fineweb_val_|_val_\*|/val_|val\.bin")
VAL_LOADERS = re.compile(r"(^|\.)(load_validation_tokens|load_val_tokens|ValidationData|load_val|get_val_tokens|_load_val\w*)$")
# Scoring accumulators: loss_sum += ..., token_count += ..., byte_count += ... (RULES.md §3.4)
LOSS_ACC = re.compile(r"(^|_)(loss|nll|bits|nats|ce)(_|$).*(sum|total|acc|accum)|(sum|total)_(loss|nll|bits|nats)|^(val_)?(loss|nll)_(sum|total)$", re.I)
COUNT_ACC = re.compile(r"(token|tok|byte|bytes|target)_?(count|cnt|sum|total|n)$|^(n_|num_|total_)(tokens|bytes|toks)$|^(byte|token)s_(seen|scored|total)$", re.I)
TARGET_NAME = re.compile(r"^(y|ys|yb|y_np|y_batch|y_chunk|y_win|yw|tgt|tgts|target|targets|target_ids|tgt_ids|labels|next_ids|next_tokens|y_true|gold|y_t|tgt_np|targets_np)$")
TRAIN_STEP = {"backward", "step"}


@dataclass(frozen=True)
class Guard:
    """An enclosing ``if``: its test, and whether the code is in the else branch."""

    test: cst.BaseExpression
    negated: bool
    line: int


@dataclass(frozen=True)
class Ctx:
    loops: tuple[int, ...]
    withs: tuple[str, ...]
    guards: tuple[Guard, ...]


@dataclass(frozen=True)
class CallSite:
    func: str | None  # dotted callee ("loss.backward", "torch.no_grad"), None for computed callees
    name: str  # last component ("backward")
    node: cst.Call
    line: int
    col: int
    ctx: Ctx
    reads: frozenset[str]  # names read in the arguments and receiver
    arg_reads: tuple[frozenset[str], ...]
    kw_reads: tuple[tuple[str, frozenset[str]], ...]


@dataclass(frozen=True)
class Assignment:
    targets: tuple[str, ...]  # dotted names assigned (subscript stores give the base name)
    value: cst.BaseExpression | None
    reads: frozenset[str]
    line: int
    col: int
    ctx: Ctx
    op: str | None = None  # "+=", "-=", ... for augmented assignment
    subscript_store: bool = False
    node: cst.CSTNode | None = None


@dataclass(frozen=True)
class Loop:
    id: int
    kind: str  # for | while | comp
    line: int
    end_line: int
    targets: frozenset[str]
    iter_reads: frozenset[str]
    node: cst.CSTNode
    ctx: Ctx


@dataclass(frozen=True)
class SubscriptUse:
    base: str | None  # dotted name of the subscripted value
    index_reads: frozenset[str]
    node: cst.Subscript
    line: int
    col: int
    ctx: Ctx
    store: bool


@dataclass
class Function:
    name: str
    qualname: str
    class_name: str | None
    node: cst.CSTNode | None
    line: int
    end_line: int
    params: list[str] = field(default_factory=list)
    calls: list[CallSite] = field(default_factory=list)
    assigns: list[Assignment] = field(default_factory=list)
    loops: dict[int, Loop] = field(default_factory=dict)
    subscripts: list[SubscriptUse] = field(default_factory=list)
    ifs: list[tuple[cst.If, int, int, int, int]] = field(default_factory=list)  # node, body start/end, else start/end
    # value-level branches: ``A if t else B``, ``t and X``, ``t or X``: (test, span of the branch,
    # the truth value of ``test`` under which the branch is evaluated)
    branches: list[tuple[cst.BaseExpression, tuple[int, int, int, int], bool]] = field(default_factory=list)
    returns: list[frozenset[str]] = field(default_factory=list)

    def calls_named(self, *names: str) -> list[CallSite]:
        return [c for c in self.calls if c.name in names]

    @property
    def accumulators(self) -> list[Assignment]:
        """``+=`` of scoring sums (loss/nll) in this function: by name (``loss_sum``), or by flow
        (:meth:`flow_accumulators`: what minified code writes as ``R += m.sum()``)."""
        hit = self.__dict__.get("_accumulators")
        if hit is None:
            named = [a for a in self.assigns if a.op == "+=" and any(LOSS_ACC.search(_last(t)) for t in a.targets)]
            ids = {id(a) for a in named}
            hit = named + [a for a in self.flow_accumulators() if id(a) not in ids]
            self.__dict__["_accumulators"] = hit
        return hit

    def flow_accumulators(self) -> list[Assignment]:
        """``T += v`` inside a loop where ``v`` derives from a per-token loss (cross_entropy, nll_loss,
        log_softmax, -log) that is never backpropagated, and ``T`` flows into what the function
        returns: a scored loss, whatever it is called. A training loss (``loss.backward()``) is not."""
        losses: set[str] = set()
        for a in self.assigns:
            if a.op is None and a.value is not None and (
                    _has_loss_call(a.value) or (_no_grad(a.ctx) and isinstance(a.value, cst.Call))):
                losses.update(a.targets)
        if not losses:
            return []
        for _ in range(6):  # names derived from a loss (m = nll[i, s:].double(); m = helper(m, ...))
            before = len(losses)
            for a in self.assigns:
                if a.op is None and a.reads & losses:
                    losses.update(a.targets)
            if len(losses) == before:
                break
        trained = set().union(*(c.reads for c in self.calls if c.name == "backward"))
        if trained & losses:  # the loss is backpropagated somewhere: keep only names never backpropagated
            losses -= trained
        returned = set().union(*self.returns) if self.returns else set()
        out = []
        for a in self.assigns:
            if a.op != "+=" or not a.ctx.loops or not (a.reads & losses or (a.value is not None and (
                    _has_loss_call(a.value) or (_no_grad(a.ctx) and isinstance(a.value, cst.Call))))):
                continue
            reach = set(a.targets)
            for _ in range(6):
                before = len(reach)
                for b in self.assigns:
                    if b.op is None and b.reads & reach:
                        reach.update(b.targets)
                if len(reach) == before:
                    break
            if reach & returned:
                out.append(a)
        return out

    @property
    def counters(self) -> list[Assignment]:
        return [a for a in self.assigns if a.op == "+=" and any(COUNT_ACC.search(_last(t)) for t in a.targets)]

    def loop_chain(self, ctx: Ctx) -> list[Loop]:
        return [self.loops[i] for i in ctx.loops if i in self.loops]


_LOSS_CALLS = frozenset({"cross_entropy", "nll_loss", "log_softmax", "log_prob", "log_probs"})
_NO_GRAD = re.compile(r"(^|\.)(no_grad|inference_mode)$")


def _no_grad(ctx) -> bool:
    """Inside ``with torch.no_grad()`` / ``inference_mode()``: outputs computed here are never trained on."""
    return any(_NO_GRAD.search(w) for w in ctx.withs)


def _has_loss_call(node: cst.CSTNode) -> bool:
    """A per-token loss computed in ``node``: a loss call, or ``-log(...)``."""
    for n in walk(node):
        if isinstance(n, cst.Call):
            name = (dotted_name(n.func) or "").rsplit(".", 1)[-1]
            if not name and isinstance(n.func, cst.Attribute):
                name = n.func.attr.value
            if name in _LOSS_CALLS:
                return True
        elif isinstance(n, cst.UnaryOperation) and isinstance(n.operator, cst.Minus) and isinstance(n.expression, cst.Call):
            name = (dotted_name(n.expression.func) or "").rsplit(".", 1)[-1]
            if name in ("log", "log2"):
                return True
    return False


def _last(dotted: str) -> str:
    return dotted.rsplit(".", 1)[-1]


def _target_names(target: cst.BaseExpression) -> tuple[tuple[str, ...], bool]:
    if isinstance(target, (cst.Name, cst.Attribute)):
        d = dotted_name(target)
        return ((d,) if d else ()), False
    if isinstance(target, cst.Subscript):
        d = dotted_name(target.value)
        return ((d,) if d else ()), True
    if isinstance(target, (cst.Tuple, cst.List)):
        names: list[str] = []
        sub = False
        for el in target.elements:
            n, s = _target_names(el.value)
            names.extend(n)
            sub = sub or s
        return tuple(names), sub
    if isinstance(target, cst.StarredElement):
        return _target_names(target.value)
    return (), False


_EMPTY: frozenset[str] = frozenset()


# Whitespace, comments and punctuation: generated for their text only. They hold no names and no
# rule reports at them, so the facts pass neither records them nor keeps their positions (a
# position or code() asked for one falls back to libcst's code generation).
_LAYOUT_NODES = frozenset({
    cst.SimpleWhitespace, cst.ParenthesizedWhitespace, cst.TrailingWhitespace, cst.Newline, cst.EmptyLine,
    cst.Comment, cst.Comma, cst.Dot, cst.AssignEqual, cst.Colon, cst.Semicolon, cst.LeftParen, cst.RightParen,
    cst.LeftSquareBracket, cst.RightSquareBracket, cst.LeftCurlyBrace, cst.RightCurlyBrace,
})


class _NoRecord:
    __slots__ = ()

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        return False


_NO_RECORD = _NoRecord()


class _Syntactic:
    """``record_syntactic_position`` as a plain context manager (libcst's is a generator: ~3x the cost)."""

    __slots__ = ("state", "node", "start_node", "end_node")

    def __init__(self, state, node, start_node, end_node):
        self.state, self.node, self.start_node, self.end_node = state, node, start_node, end_node

    def __enter__(self):
        st = self.state
        st.opened[id(self.node)] = (st.line, st.column)

    def __exit__(self, *exc):
        st = self.state
        pos = st.positions
        if self.start_node is not None:
            line, col = pos[id(self.start_node)][:2]
        else:
            line, col = st.opened[id(self.node)]
        if self.end_node is not None:
            end_line, end_col = pos[id(self.end_node)][2:]
        else:
            end_line, end_col = st.line, st.column
        pos[id(self.node)] = (line, col, end_line, end_col)
        return False


class _Collector(CodegenState):
    """One pass over the module that yields both positions and facts.

    It is a libcst code generator: generating the code walks every node in source order, calling
    ``before_codegen``/``after_codegen`` around each (our enter/leave) and
    ``record_syntactic_position`` where libcst's PositionProvider takes a node's position. Tracking
    line and column as tokens are emitted gives the same positions as PositionProvider (checked in
    tests) at a fraction of the cost of a MetadataWrapper visit plus a separate metadata pass.
    Positions are final when a node is left, so every fact that needs one is recorded on leave.
    """

    def __init__(self, default_indent: str, default_newline: str):
        super().__init__(default_indent, default_newline)
        self.line = 1
        self.column = 0
        self.positions: dict[int, tuple[int, int, int, int]] = {}  # id(node) -> (line, col, end line, end col)
        self.opened: dict[int, tuple[int, int]] = {}  # syntactic starts of nodes still being generated
        self._starts: list[tuple[int, int]] = []
        self._kid_stack: list[list[cst.CSTNode]] = [[]]
        self.order: list[cst.CSTNode] = []  # every recorded node, in source pre-order
        self._first: list[int] = []
        self._track: set[int] = set()  # punctuation whose position a parent's span needs
        self._layout_starts: dict[int, tuple[int, int]] = {}
        self._enter_child: dict[int, Any] = {}  # id(child) -> callback when the child is entered
        self._leave_child: dict[int, Any] = {}
        self.tokens = _NullTokens()
        self._read_stack: list[set[str]] = [set()]
        self.reads: dict[int, frozenset[str]] = {}
        self.import_lines: list[tuple[str, int]] = []  # every imported module name (for local-import following)
        self.functions: dict[str, Function] = {}
        self.stack: list[Function] = []
        self.class_stack: list[str] = []
        self.loop_stack: list[int] = []
        self.with_stack: list[str] = []
        self.guard_stack: list[Guard] = []
        self.strings: list[tuple[str, int]] = []
        self.string_nodes: list[cst.SimpleString] = []
        self.imports: dict[str, str] = {}
        self._loop_id = 0
        self._loop_open: dict[int, tuple] = {}
        self._saved: list = []
        module = Function(MODULE, MODULE, None, None, 1, 10**9)
        self.functions[MODULE] = module
        self.stack.append(module)
        self.consts: dict[str, cst.BaseExpression] = {}  # module-level NAME = <expr> (wrapper payloads)
        # run-configuration candidates, in source order: assignments whose value reads the environment
        # and argparse add_argument calls (the run-config resolver needs no second visit)
        self._settings: list[list] = []  # [kind, node, line, keep]
        self._env_reads = 0
        self._assign_marks: list[tuple[int, int]] = []

    # -- code generation hooks: track the position, never keep the text
    def add_indent_tokens(self) -> None:
        for tok in self.indent_tokens:
            self.column += len(tok)

    def add_token(self, value: str) -> None:
        if "\n" in value or "\r" in value:
            self.line += value.count("\n") + value.count("\r") - value.count("\r\n")
            self.column = len(value) - max(value.rfind("\n"), value.rfind("\r")) - 1
        else:
            self.column += len(value)

    def pop_trailing_newline(self) -> None:
        pass

    def record_syntactic_position(self, node, *, start_node=None, end_node=None):
        if type(node) in _LAYOUT_NODES and not (self._track and id(node) in self._track):
            return _NO_RECORD
        # a node may end at punctuation (``from m import (a, b)`` ends at its ``)``): keep that one's position
        if end_node is not None and type(end_node) in _LAYOUT_NODES:
            self._track.add(id(end_node))
        if start_node is not None and type(start_node) in _LAYOUT_NODES:
            self._track.add(id(start_node))
        return _Syntactic(self, node, start_node, end_node)

    def before_codegen(self, node: cst.CSTNode) -> None:
        if type(node) in _LAYOUT_NODES:  # ~60% of all nodes: no facts, no position kept
            if self._track and id(node) in self._track:
                self._layout_starts[id(node)] = (self.line, self.column)
            return
        self._starts.append((self.line, self.column))
        self._kid_stack[-1].append(node)
        self._kid_stack.append([])
        self._first.append(len(self.order))
        self.order.append(node)
        if self._enter_child:
            hook = self._enter_child.pop(id(node), None)
            if hook is not None:
                hook()
        self._read_stack.append(None)
        fn = _VISIT.get(type(node))
        if fn is not None:
            fn(self, node)

    def after_codegen(self, node: cst.CSTNode) -> None:
        if type(node) in _LAYOUT_NODES:
            if self._track and id(node) in self._track:
                key = id(node)
                start = self._layout_starts.pop(key)
                self.positions.setdefault(key, (start[0], start[1], self.line, self.column))
                self._track.discard(key)
            return
        start = self._starts.pop()
        key = id(node)
        _KIDS[key] = (node, self._kid_stack.pop(), self._first.pop(), len(self.order), self.order)
        positions = self.positions
        if key not in positions:  # no syntactic position: the whitespace-inclusive one
            positions[key] = (start[0], start[1], self.line, self.column)
        # names read below each node, bottom-up (a set, or None for none); frozen when a fact asks
        stack = self._read_stack
        mine = stack.pop()
        node_type = type(node)
        if node_type is cst.Name:
            mine = {node.value}
        elif node_type is cst.Attribute:
            d = dotted_name(node)
            if d:
                mine = {d, d.split(".", 1)[0]}
        elif mine and node_type in _COMPREHENSIONS:
            # the names a comprehension binds are its own (Python 3 scoping); its first iterable
            # is read in the enclosing scope
            bound = comprehension_bound(node)
            mine = {n for n in mine if n.split(".", 1)[0] not in bound} | set(self.reads.get(id(node.for_in.iter)) or ())
        if mine:
            self.reads[key] = mine
            parent = stack[-1]
            if parent is None:
                stack[-1] = set(mine)
            else:
                parent |= mine
        fn = _LEAVE.get(node_type)
        if fn is not None:
            fn(self, node)
        if self._leave_child:
            hook = self._leave_child.pop(key, None)
            if hook is not None:
                hook()

    def r(self, node: cst.CSTNode | None) -> frozenset[str]:
        if node is None:
            return frozenset()
        got = self.reads.get(id(node))
        if got is not None:
            return frozenset(got)
        return _EMPTY if id(node) in self.positions else names_read(node)

    # -- helpers
    def pos(self, node) -> tuple[int, int, int]:
        p = self.positions[id(node)]
        return p[0], p[1], p[2]

    def ctx(self) -> Ctx:
        return Ctx(tuple(self.loop_stack), tuple(self.with_stack), tuple(self.guard_stack))

    @property
    def fn(self) -> Function:
        return self.stack[-1]

    # -- scopes
    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.class_stack.append(node.name.value)

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        self.class_stack.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        # decorators are generated first and belong to the enclosing scope; the function starts at
        # its name, when the syntactic position (the ``def`` line) is known
        self._enter_child[id(node.name)] = lambda: self._open_function(node)

    def _open_function(self, node: cst.FunctionDef) -> None:
        line = self.opened[id(node)][0]
        cls = self.class_stack[-1] if self.class_stack else None
        outer = self.stack[-1].qualname if len(self.stack) > 1 else None
        qual = ".".join(x for x in (outer, cls if not outer else None, node.name.value) if x)
        if qual in self.functions:
            qual = f"{qual}@{line}"
        params = [p.name.value for p in (*node.params.posonly_params, *node.params.params, *node.params.kwonly_params)]
        if isinstance(node.params.star_arg, cst.Param):
            params.append(node.params.star_arg.name.value)
        f = Function(node.name.value, qual, cls, node, line, line, params)
        self.functions[qual] = f
        self.stack.append(f)
        self._saved.append((self.loop_stack, self.with_stack, self.guard_stack, self.class_stack))
        self.loop_stack, self.with_stack, self.guard_stack, self.class_stack = [], [], [], []

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        f = self.stack.pop()
        f.end_line = self.positions[id(node)][2]
        self.loop_stack, self.with_stack, self.guard_stack, self.class_stack = self._saved.pop()

    # -- imports
    def leave_Import(self, node: cst.Import) -> None:
        line = self.pos(node)[0]
        for alias in node.names:
            name = dotted_name(alias.name) or ""
            self.import_lines.append((name, line))
            if alias.asname and isinstance(alias.asname.name, cst.Name):
                self.imports[alias.asname.name.value] = name
            else:
                self.imports[name.split(".")[0]] = name.split(".")[0]

    def leave_ImportFrom(self, node: cst.ImportFrom) -> None:
        module = dotted_name(node.module) if node.module else ""
        dots = "." * len(node.relative)
        line = self.pos(node)[0]
        if isinstance(node.names, cst.ImportStar):
            self.import_lines.append((dots + (module or ""), line))
            return
        for alias in node.names:
            name = dotted_name(alias.name) or ""
            self.import_lines.append((dots + (f"{module}.{name}" if module else name), line))
        if node.relative:
            return
        for alias in node.names:
            name = dotted_name(alias.name) or ""
            local = alias.asname.name.value if alias.asname and isinstance(alias.asname.name, cst.Name) else name
            self.imports[local] = f"{module}.{name}"

    # -- control flow context: a loop is numbered when entered (code inside names it) and recorded on leave
    def _enter_loop(self, node, kind: str, target, iter_node) -> None:
        self._loop_id += 1
        self._loop_open[id(node)] = (self._loop_id, kind, target, iter_node, self.ctx())
        self.loop_stack.append(self._loop_id)

    def _leave_loop(self, node) -> None:
        loop_id, kind, target, iter_node, ctx = self._loop_open.pop(id(node))
        line, _, end = self.pos(node)
        targets = frozenset(_target_names(target)[0]) if target is not None else frozenset()
        self.fn.loops[loop_id] = Loop(loop_id, kind, line, end, targets, self.r(iter_node), node, ctx)
        self.loop_stack.pop()

    def visit_For(self, node: cst.For) -> None:
        self._enter_loop(node, "for", node.target, node.iter)

    def leave_For(self, node: cst.For) -> None:
        self._leave_loop(node)

    def visit_While(self, node: cst.While) -> None:
        self._enter_loop(node, "while", None, node.test)

    def leave_While(self, node: cst.While) -> None:
        self._leave_loop(node)

    def visit_With(self, node: cst.With) -> None:
        for item in node.items:
            expr = item.item.func if isinstance(item.item, cst.Call) else item.item
            self.with_stack.append(dotted_name(expr) or "?")

    def leave_With(self, node: cst.With) -> None:
        for _ in node.items:
            self.with_stack.pop()

    def visit_If(self, node: cst.If) -> None:
        self._enter_child[id(node.body)] = lambda: self.guard_stack.append(Guard(node.test, False, self.opened[id(node)][0]))
        self._leave_child[id(node.body)] = self.guard_stack.pop
        if node.orelse is not None:
            self._enter_child[id(node.orelse)] = lambda: self.guard_stack.append(Guard(node.test, True, self.opened[id(node)][0]))
            self._leave_child[id(node.orelse)] = self.guard_stack.pop

    def leave_If(self, node: cst.If) -> None:
        line, _, end = self.pos(node)
        body_end = self.pos(node.body)[2]
        else_start = self.pos(node.orelse)[0] if node.orelse else end + 1
        self.fn.ifs.append((node, line, body_end, else_start, end))

    # -- facts
    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Attribute) and node.func.attr.value == "add_argument":
            self._settings.append(["argparse", node, 0, True])  # line filled on leave

    def leave_Call(self, node: cst.Call) -> None:
        line, col, _ = self.pos(node)
        if isinstance(node.func, cst.Attribute) and node.func.attr.value == "add_argument":
            for entry in reversed(self._settings):
                if entry[1] is node:
                    entry[2] = line
                    break
        func = dotted_name(node.func)
        if func in ENV_GETTERS:
            self._env_reads += 1
        if func is None and isinstance(node.func, cst.Attribute):
            name = node.func.attr.value
            receiver = self.r(node.func.value)
        else:
            name = (func or "").rsplit(".", 1)[-1]
            receiver = self.r(node.func) if isinstance(node.func, cst.Attribute) else frozenset()
        args = tuple(self.r(a.value) for a in node.args if a.keyword is None)
        kws = tuple((a.keyword.value, self.r(a.value)) for a in node.args if a.keyword is not None)
        reads = frozenset().union(receiver, *args, *(k[1] for k in kws))
        self.fn.calls.append(CallSite(func, name, node, line, col, self.ctx(), reads, args, kws))

    def _assign(self, node, targets, value, op=None) -> None:
        line, col, _ = self.pos(node)
        names: list[str] = []
        sub = False
        for t in targets:
            n, s = _target_names(t)
            names.extend(n)
            sub = sub or s
        reads = self.r(value)
        if op:  # x += y reads x too
            for t in targets:
                reads = reads | self.r(t)
        elif sub:
            for t in targets:
                if isinstance(t, cst.Subscript):
                    reads = reads | frozenset(n for el in t.slice for n in self.r(el))
        self.fn.assigns.append(Assignment(tuple(names), value, reads, line, col, self.ctx(), op, sub, node))

    def _mark_assign(self, node) -> None:
        self._assign_marks.append((len(self._settings), self._env_reads))
        self._settings.append(["assign", node, 0, False])  # line and keep filled on leave

    def _unmark_assign(self, node) -> None:
        index, before = self._assign_marks.pop()
        self._settings[index][2] = self.pos(node)[0]
        self._settings[index][3] = self._env_reads > before

    def visit_Assign(self, node: cst.Assign) -> None:
        self._mark_assign(node)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._mark_assign(node)

    def leave_Assign(self, node: cst.Assign) -> None:
        self._unmark_assign(node)
        self._assign(node, [t.target for t in node.targets], node.value)
        if len(self.stack) == 1 and not self.class_stack and len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name):
            self.consts[node.targets[0].target.value] = node.value

    def leave_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._unmark_assign(node)
        if node.value is not None:
            self._assign(node, [node.target], node.value)

    def leave_AugAssign(self, node: cst.AugAssign) -> None:
        self._assign(node, [node.target], node.value, _AUG_OPS.get(type(node.operator), "?="))

    def leave_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._assign(node, [node.target], node.value)

    def leave_Subscript(self, node: cst.Subscript) -> None:
        line, col, _ = self.pos(node)
        if isinstance(node.value, (cst.Name, cst.Attribute)) and dotted_name(node.value) in ("os.environ", "environ"):
            self._env_reads += 1
        idx = frozenset(n for el in node.slice for n in self.r(el))
        self.fn.subscripts.append(SubscriptUse(dotted_name(node.value), idx, node, line, col, self.ctx(), False))

    def leave_Return(self, node: cst.Return) -> None:
        self.fn.returns.append(self.r(node.value))

    def leave_SimpleString(self, node: cst.SimpleString) -> None:
        self.string_nodes.append(node)
        if len(node.value) > 4100:  # even all-\U escapes (10 chars each) cannot evaluate to < 400 characters
            return
        value = string_value(node)
        if isinstance(value, str) and len(value) < 400:
            self.strings.append((value, self.pos(node)[0]))

    def leave_IfExp(self, node: cst.IfExp) -> None:
        self.fn.branches.append((node.test, self.positions[id(node.body)], True))
        self.fn.branches.append((node.test, self.positions[id(node.orelse)], False))

    def leave_BooleanOperation(self, node: cst.BooleanOperation) -> None:
        # `t and X` evaluates X only when t is true; `t or X` only when t is false
        self.fn.branches.append((node.left, self.positions[id(node.right)], isinstance(node.operator, cst.And)))

    def leave_CompFor(self, node: cst.CompFor) -> None:
        # comprehension targets take taint from their iterables
        line, col, _ = self.pos(node)
        names, _ = _target_names(node.target)
        self.fn.assigns.append(Assignment(tuple(names), node.iter, self.r(node.iter), line, col, self.ctx(), None, False, node))


def _handlers(kind: str) -> dict[type, Any]:
    """``visit_<Type>`` / ``leave_<Type>`` methods of the collector, by node type (looked up once)."""
    out: dict[type, Any] = {}
    for name in dir(_Collector):
        if name.startswith(kind + "_"):
            node_type = getattr(cst, name[len(kind) + 1:], None)
            if isinstance(node_type, type):
                out[node_type] = getattr(_Collector, name)
    return out


class _NullTokens:
    """The collector generates code only for positions: tokens are counted, never stored."""

    __slots__ = ()

    def append(self, value) -> None:
        pass

    def extend(self, values) -> None:
        pass

    def pop(self):
        return None

    def __len__(self) -> int:
        return 0


_VISIT = _handlers("visit")
_LEAVE = _handlers("leave")
_AUG_OPS = {
    cst.AddAssign: "+=", cst.SubtractAssign: "-=", cst.MultiplyAssign: "*=", cst.DivideAssign: "/=",
    cst.FloorDivideAssign: "//=", cst.ModuloAssign: "%=", cst.PowerAssign: "**=", cst.MatrixMultiplyAssign: "@=",
    cst.LeftShiftAssign: "<<=", cst.RightShiftAssign: ">>=", cst.BitAndAssign: "&=", cst.BitOrAssign: "|=",
    cst.BitXorAssign: "^=",
}


@dataclass
class Facts:
    """Everything rules ask about one parsed source."""

    source: Source
    module: cst.Module
    positions: dict[int, tuple[int, int, int, int]]  # id(node) -> (line, column, end line, end column)
    functions: dict[str, Function]
    imports: dict[str, str]
    strings: list[tuple[str, int]]
    import_lines: list[tuple[str, int]]
    consts: dict[str, cst.BaseExpression]
    # (kind, node, line): assignments reading the environment and add_argument calls, in source order
    setting_candidates: list[tuple[str, cst.CSTNode, int]] = field(default_factory=list)
    reads: dict[int, frozenset[str]] = field(default_factory=dict, repr=False)  # id(node) -> names read below it
    string_nodes: list[cst.SimpleString] = field(default_factory=list, repr=False)  # every string literal, in source order

    @classmethod
    def build(cls, source: Source, module: cst.Module) -> "Facts":
        if len(_KIDS) > 3_000_000:  # used outside the engine (which clears after each unit): stay bounded
            clear_memos()
        col = _Collector(module.default_indent, module.default_newline)
        module._codegen(col)
        for f in col.functions.values():
            f.ifs.sort(key=lambda entry: entry[1])  # recorded on leave; rules read them outermost first
        candidates = [(kind, node, line) for kind, node, line, keep in col._settings if keep]
        facts = cls(source, module, col.positions, col.functions, col.imports, col.strings, col.import_lines, col.consts, candidates)
        facts.reads = col.reads
        facts.string_nodes = col.string_nodes
        return facts

    def release(self) -> None:
        """Drop every memo and derived cache (rules keep memos on the facts, and some of their values
        refer back to the facts: a reference cycle that would keep the whole parsed tree alive until
        a cyclic collection). The facts stay usable; memos are rebuilt on demand."""
        keep = {f.name for f in dataclasses.fields(self)}
        for key in [k for k in self.__dict__ if k not in keep]:
            del self.__dict__[key]
        for f in self.functions.values():
            f.__dict__.pop("_returned", None)
            f.__dict__.pop("_accumulators", None)
            f.__dict__.pop("_return_values", None)

    @property
    def module_level(self) -> Function:
        return self.functions[MODULE]

    def all_calls(self) -> Iterator[tuple[Function, CallSite]]:
        for f in self.functions.values():
            for c in f.calls:
                yield f, c

    # ------------------------------------------------------------------ positions and text
    @property
    def path(self) -> str:
        return self.source.path

    def position(self, node: cst.CSTNode) -> tuple[int, int]:
        """1-based line and 0-based column where ``node`` starts (as libcst's PositionProvider gives them)."""
        p = self.span(node)
        return p[0], p[1]

    def span(self, node: cst.CSTNode) -> tuple[int, int, int, int]:
        """(line, column, end line, end column) of ``node`` (KeyError for a node not in this module)."""
        p = self.positions.get(id(node))
        if p is None:  # whitespace or punctuation: not kept by the facts pass
            r = self._layout_positions[node]
            p = (r.start.line, r.start.column, r.end.line, r.end.column)
        return p

    @cached_property
    def _layout_positions(self):
        from libcst.metadata import MetadataWrapper, PositionProvider

        return MetadataWrapper(self.module, unsafe_skip_copy=True).resolve(PositionProvider)

    def code(self, node: cst.CSTNode) -> str:
        """Source text of ``node``: its syntactic span (no leading comments or indentation), cut from the
        source by position; libcst's ``code_for_node`` (a code generation each call) only for nodes
        that are not part of this module."""
        p = self.positions.get(id(node))
        if p is None:
            return self.module.code_for_node(node)
        line, col, end_line, end_col = p
        lines = self._raw_lines
        if line == end_line:
            return lines[line - 1][col:end_col]
        return "\n".join([lines[line - 1][col:], *lines[line:end_line - 1], lines[end_line - 1][:end_col]])

    @cached_property
    def _raw_lines(self) -> list[str]:
        """Source lines split as libcst counts them (\\n, \\r\\n or \\r), for cutting by position."""
        return re.split(r"\r\n|\r|\n", self.source.text)

    @cached_property
    def lines(self) -> list[str]:
        return self.source.text.splitlines()

    def qualify(self, dotted: str | None) -> str | None:
        """Resolve the head of a dotted name through the file's imports (``F.cross_entropy`` -> ``torch.nn.functional.cross_entropy``)."""
        if not dotted:
            return dotted
        head, _, rest = dotted.partition(".")
        base = self.imports.get(head)
        if base is None:
            return dotted
        return f"{base}.{rest}" if rest else base

    # ------------------------------------------------------------------ functions and calls
    def iter_functions(self) -> Iterator[Function]:
        return iter(self.functions.values())

    def by_name(self, name: str) -> list[Function]:
        return [f for f in self.functions.values() if f.name == name]

    def function_at(self, line: int) -> Function:
        best = self.functions[MODULE]
        for f in self.functions.values():
            if f.node is not None and f.line <= line <= f.end_line and f.line >= best.line:
                best = f
        return best

    @cached_property
    def _functions_by_name(self) -> dict[tuple[str | None, str], list[Function]]:
        """(class name, function name) -> functions; (None, name) holds the plain functions."""
        out: dict[tuple[str | None, str], list[Function]] = {}
        for f in self.functions.values():
            out.setdefault((f.class_name, f.name), []).append(f)
        return out

    @cached_property
    def _methods_by_name(self) -> dict[str, list[Function]]:
        out: dict[str, list[Function]] = {}
        for f in self.functions.values():
            if f.class_name is not None:
                out.setdefault(f.name, []).append(f)
        return out

    def resolve_call(self, caller: Function, call: CallSite) -> list[Function]:
        """Local functions a call may reach (by name; methods by ``self.`` or any receiver)."""
        if not call.func and not call.name:
            return []
        name = call.name
        func = call.func or ""
        by_name = self._functions_by_name
        if "." not in func:
            hits = by_name.get((None, name))
            if hits:
                return list(hits)
            ctors = [f for key in ("__init__", "forward", "__call__") for f in by_name.get((name, key), ())]
            return sorted(ctors, key=lambda f: f.line)
        if func.startswith("self.") and caller.class_name and func.count(".") == 1:
            hits = by_name.get((caller.class_name, name))
            if hits:
                return list(hits)
        if name in _COMMON_METHODS:
            return []
        return list(self._methods_by_name.get(name, ()))

    @cached_property
    def callees(self) -> dict[str, set[str]]:
        graph: dict[str, set[str]] = {}
        for f in self.functions.values():
            graph[f.qualname] = {g.qualname for c in f.calls for g in self.resolve_call(f, c)}
        return graph

    @cached_property
    def callers(self) -> dict[str, list[tuple[Function, CallSite]]]:
        out: dict[str, list[tuple[Function, CallSite]]] = {q: [] for q in self.functions}
        for f in self.functions.values():
            for c in f.calls:
                for g in self.resolve_call(f, c):
                    out[g.qualname].append((f, c))
        return out

    def reachable(self, roots: Iterable[str]) -> set[str]:
        seen: set[str] = set()
        todo = list(roots)
        while todo:
            q = todo.pop()
            if q in seen:
                continue
            seen.add(q)
            todo.extend(self.callees.get(q, ()))
        return seen

    # ------------------------------------------------------------------ scoring and evaluation
    @cached_property
    def scoring_functions(self) -> list[Function]:
        """Functions that accumulate a scored loss (``loss_sum += ...``)."""
        return [f for f in self.functions.values() if f.accumulators]

    @cached_property
    def eval_path(self) -> set[str]:
        """Scoring functions, eval-named functions that read validation data, and everything they call."""
        roots = {f.qualname for f in self.scoring_functions}
        for f in self.functions.values():
            if re.search(r"eval|score", f.name, re.I) and self.val_tainted(f):
                roots.add(f.qualname)
        return self.reachable(roots)

    def on_eval_path(self, f: Function) -> bool:
        return f.qualname in self.eval_path

    # ------------------------------------------------------------------ validation-data taint
    def val_tainted(self, f: Function) -> frozenset[str]:
        """Names in ``f`` that may hold validation tokens (or values derived from them), from the
        dataflow layer (:func:`golfcheck.flow.names`): sources are the shard pattern and what reads
        it, followed through assignments, calls and returns."""
        from golfcheck import flow

        return flow.names(self, f, flow.VAL)

    def target_names(self, f: Function) -> set[str]:
        """Names in ``f`` that may hold the realised target tokens (``y``, ``tgt``, ... and derivations)."""
        names = {p for p in f.params if TARGET_NAME.match(p)}
        for a in f.assigns:
            names |= {t for t in a.targets if TARGET_NAME.match(_last(t))}
        for _ in range(5):
            before = len(names)
            for a in f.assigns:
                if a.reads & names and not a.op:
                    names.update(a.targets)
            if len(names) == before:
                break
        return names

    # ------------------------------------------------------------------ dormancy
    def guard_value(self, test: cst.BaseExpression, config: RunConfig) -> bool | None:
        """Evaluate an ``if`` test under the run configuration: True, False, or None (unknown)."""
        if isinstance(test, (cst.Name, cst.Attribute)):
            name = _last(dotted_name(test) or "")
            s = config.get(name)
            return None if s is None else truthy(s.value)
        if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
            v = self.guard_value(test.expression, config)
            return None if v is None else not v
        if isinstance(test, cst.BooleanOperation):
            a, b = self.guard_value(test.left, config), self.guard_value(test.right, config)
            if isinstance(test.operator, cst.And):
                if a is False or b is False:
                    return False
                return True if (a and b) else None
            if a is True or b is True:
                return True
            return False if (a is False and b is False) else None
        if isinstance(test, cst.Comparison) and len(test.comparisons) == 1 and isinstance(test.left, (cst.Name, cst.Attribute)):
            s = config.get(_last(dotted_name(test.left) or ""))
            comp = test.comparisons[0]
            try:
                from golfcheck.runconfig import _literal

                right = _literal(comp.comparator)
            except Exception:  # noqa: BLE001 - not a literal comparison
                return None
            if s is None or s.value is None:
                return None
            left = s.value
            ops = {cst.GreaterThan: lambda a, b: a > b, cst.GreaterThanEqual: lambda a, b: a >= b,
                   cst.LessThan: lambda a, b: a < b, cst.LessThanEqual: lambda a, b: a <= b,
                   cst.Equal: lambda a, b: a == b, cst.NotEqual: lambda a, b: a != b}
            for op_type, fn in ops.items():
                if isinstance(comp.operator, op_type):
                    try:
                        return bool(fn(left, right))
                    except TypeError:
                        return None
        return None

    def dormant(self, line: int, config: RunConfig, _depth: int = 0, column: int | None = None) -> str | None:
        """If ``line`` (at ``column``, when known) only runs under a flag the run configuration
        disables, say which; else None. Flags count in ``if`` statements, in conditional expressions
        (``A if flag else B``) and in ``and``/``or`` short-circuits; a function is dormant when every
        call of it, or every mention of it when it is never called by name, is dormant."""
        f = self.function_at(line)
        for node, start, body_end, else_start, end in f.ifs:
            if start <= line <= body_end and line > start:
                if self.guard_value(node.test, config) is False:
                    return f"guarded by `{self.code(node.test)}`, disabled in the run configuration"
            elif else_start <= line <= end and node.orelse is not None and line >= else_start:
                if self.guard_value(node.test, config) is True:
                    return f"in the else branch of `{self.code(node.test)}`, which the run configuration enables"
        if column is not None:
            reason = self._branch_dormant(f, line, column, config)
            if reason:
                return reason
        if f.node is None or _depth > 4:
            return None
        sites = [(c.line, c.col) for _, c in self.callers.get(f.qualname, [])]
        if not sites:  # never called by name: chosen as a value (`fn = A if flag else B`)?
            sites = self._mentions.get(f.name, [])
        if not sites:
            return None
        reasons = [self.dormant(ln, config, _depth + 1, col) for ln, col in sites]
        if all(reasons):
            first = reasons[0]
            if first.startswith(("guarded by", "in the else branch")):
                return f"`{f.name}` is only reached from code {first}"
            return f"`{f.name}` is only reached from dormant code ({first})"
        return None

    def _branch_dormant(self, f: Function, line: int, column: int, config: RunConfig) -> str | None:
        for test, (l0, c0, l1, c1), runs_when in f.branches:
            if (l0, c0) <= (line, column) < (l1, c1) or (l0 < line < l1):
                value = self.guard_value(test, config)
                if value is not None and value != runs_when:
                    return (f"guarded by `{self.code(test)}` (in a conditional expression), "
                            f"{'disabled' if runs_when else 'enabled'} in the run configuration")
        return None

    @cached_property
    def _mentions(self) -> dict[str, list[tuple[int, int]]]:
        """Where each name is read as a value (not where it is defined): Name nodes by value."""
        out: dict[str, list[tuple[int, int]]] = {}
        defs = {id(fn.node.name) for fn in self.functions.values() if isinstance(fn.node, cst.FunctionDef)}
        for node in find(self.module, cst.Name):
            if id(node) not in defs:
                out.setdefault(node.value, []).append(self.position(node))
        return out


_COMMON_METHODS = {"__init__", "forward", "__call__", "step", "update", "reset", "get", "append", "add", "run", "load", "save", "item"}
