"""The dataflow layer (DESIGN.md, "Flow"): one answer, shared by every rule, to "what reaches what,
in which order".

Built lazily over :class:`~golfcheck.facts.Facts` and memoised on them, it offers:

* **value flow inside a function** (:class:`FunctionFlow`): one edge per assignment, tuple unpack,
  mutating call (``rows.append(x)`` puts ``x`` into ``rows``), ``np.add.at`` and loop target, and a
  forward closure over them;
* **reaching definitions** (:func:`reaching`): which definitions of a name a read at a position
  sees: the nearest earlier one, the augmenting ones after it (``+=``, ``.append``), and, inside a
  loop, the ones later in the body (the loop's back edge);
* **taint from real sources** (:data:`VAL`, :data:`TRAIN`): string literals that name the shards
  (``fineweb_val_*``), the settings and attributes assigned from them, whatever local function
  returns data derived from them (the loader, whatever it is called), and the parameters that
  receive them from a caller. Names (``val_tokens``) count only where the flow cannot be followed:
  a parameter no local code calls, a free variable or attribute the code never assigns;
* **flow-insensitive sets** (:func:`names`) for cheap filters and **flow-sensitive questions**
  (:func:`value_at`: does this value, as defined at this position, derive from the source?);
* **order** (:func:`before`): does one position execute before another within one pass of their
  common loops.

Rules ask; they do not walk definitions or taint themselves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Iterator

import libcst as cst

from golfcheck.facts import (MODULE, VAL_LOADERS, VAL_NAME, VAL_STRING, Facts, Function, iter_descendants,
                             names_read)
from golfcheck.source import dotted_name
from golfcheck.tree import comprehension_scoped

VAL = "val"
TRAIN = "train"
SOURCE_STRING = {
    VAL: VAL_STRING,
    TRAIN: re.compile(r"fineweb_train_|_train_\*|/train_|train\.bin"),
}
# Loaders named for what they load, used only when the loader is not defined in the submission.
SOURCE_LOADER = {
    VAL: VAL_LOADERS,
    TRAIN: re.compile(r"(^|\.)(load_train\w*|TrainData\w*|get_train_tokens)$"),
}
SOURCE_NAME = {
    VAL: VAL_NAME,
    TRAIN: re.compile(r"(^|[._])(train_tokens|train_data|train_np|train_ids|train_stream)$"),
}
# Methods that put their arguments into their receiver (a list, a tensor, a table).
MUTATORS = {"append", "extend", "insert", "copy_", "add_", "fill_", "index_put_", "put_", "scatter_", "scatter_add_",
            "index_add_", "update", "update_batch", "build", "build_full", "add", "observe", "absorb", "feed", "push"}


# what an edge reads, narrowed: one set for all its targets, or one set per target
Reads = "frozenset[str] | dict[str, frozenset[str]]"


# ---------------------------------------------------------------------------------------- edges
@dataclass(frozen=True)
class Edge:
    """One value flow inside a function: ``targets`` receive what ``reads`` hold, at (line, col)."""

    targets: tuple[str, ...]
    reads: frozenset[str]
    line: int
    node: cst.CSTNode | None
    op: str | None = None
    subscript_store: bool = False
    col: int = 0
    kind: str = "assign"  # assign | unpack | mutate | loop

    @property
    def pos(self) -> tuple[int, int]:
        return self.line, self.col

    @property
    def augments(self) -> bool:
        """Adds to what the target already holds instead of replacing it."""
        return self.op is not None or self.subscript_store or self.kind == "mutate"


def _elementwise(a, literals) -> list[tuple[str, frozenset[str]]] | None:
    """``a, b = x, y`` (or ``a, b = lst`` with ``lst = [x, y]`` above): one flow per element."""
    node = a.node
    if not isinstance(node, cst.Assign) or len(node.targets) != 1 or a.op:
        return None
    tgt = node.targets[0].target
    value = a.value
    if isinstance(value, cst.Name) and value.value in literals:
        value = literals[value.value]
    elif isinstance(value, cst.Subscript) and "[]" + (dotted_name(value.value) or "") in literals:
        tuples = literals["[]" + dotted_name(value.value)]
        if not isinstance(tgt, (cst.Tuple, cst.List)) or len(tgt.elements) != len(tuples[0].elements):
            return None
        out = []
        for i, t in enumerate(tgt.elements):
            name = dotted_name(t.value)
            if name is None:
                return None
            out.append((name, frozenset().union(*(names_read(tp.elements[i].value) for tp in tuples))))
        return out
    if not isinstance(tgt, (cst.Tuple, cst.List)) or not isinstance(value, (cst.Tuple, cst.List)):
        return None
    if len(tgt.elements) != len(value.elements) or any(isinstance(e, cst.StarredElement) for e in tgt.elements):
        return None
    out = []
    for t, v in zip(tgt.elements, value.elements):
        name = dotted_name(t.value)
        if name is None:
            return None
        out.append((name, names_read(v.value)))
    return out


class FunctionFlow:
    """Value flow of one function: its edges and closures over them (see the module docstring)."""

    def __init__(self, facts: Facts, fn: Function):
        self.facts, self.fn = facts, fn
        literals = {a.targets[0]: a.value for a in fn.assigns
                    if len(a.targets) == 1 and isinstance(a.value, (cst.Tuple, cst.List)) and not a.subscript_store}
        # ``rows.append((a, b, c))`` then ``a, b, c = rows[i]``: the rows hold tuples of that shape
        appended: dict[str, list] = {}
        for c in fn.calls:
            if c.name == "append" and isinstance(c.node.func, cst.Attribute) and len(c.node.args) == 1:
                recv = dotted_name(c.node.func.value)
                if recv and isinstance(c.node.args[0].value, cst.Tuple):
                    appended.setdefault(recv, []).append(c.node.args[0].value)
        for name, tuples in appended.items():
            empty = isinstance(literals.get(name), (cst.List, cst.Tuple)) and not literals[name].elements
            if (name not in literals or empty) and len({len(t.elements) for t in tuples}) == 1:
                literals["[]" + name] = tuples
        self.edges: list[Edge] = []
        for a in fn.assigns:
            if not a.targets:
                continue
            split = _elementwise(a, literals)
            if split:
                self.edges.extend(Edge((t,), r, a.line, a.node, a.op, False, a.col, "unpack") for t, r in split)
            else:
                self.edges.append(Edge(a.targets, a.reads, a.line, a.node, a.op, a.subscript_store, a.col))
        for c in fn.calls:
            recv = dotted_name(c.node.func.value) if isinstance(c.node.func, cst.Attribute) else None
            if c.name in MUTATORS and recv and "." not in recv:
                self.edges.append(Edge((recv,), c.reads, c.line, c.node, None, False, c.col, "mutate"))
            elif c.func in ("np.add.at", "numpy.add.at") and c.node.args:
                base = dotted_name(c.node.args[0].value)
                if base:
                    self.edges.append(Edge((base.split("[")[0],), c.reads, c.line, c.node, None, False, c.col, "mutate"))
        for loop in fn.loops.values():
            if loop.targets:
                self.edges.append(Edge(tuple(loop.targets), loop.iter_reads, loop.line, loop.node, None, False, 0, "loop"))
        self._owner: dict[int, Edge] | None = None
        self._defs: dict[str, list[Edge]] | None = None
        # running sums and moving averages (``s += l``, ``ema = a * ema + (1 - a) * l``)
        self.accumulated = {t for e in self.edges if isinstance(e.node, (cst.AugAssign, cst.Assign)) and not e.subscript_store
                            and (e.op in ("+=", "-=") or (e.op is None and len(e.targets) == 1 and e.targets[0] in e.reads))
                            for t in e.targets}

    def forward(self, seeds: Iterable[str], skip=None, reads_of: dict[int, Reads] | None = None) -> set[str]:
        """Names that may hold a value derived from ``seeds`` anywhere in the function (``skip(edge)``
        prunes edges; ``reads_of`` narrows what some edges read, by edge id)."""
        out = set(seeds)
        changed = True
        while changed:
            changed = False
            for e in self.edges:
                reads = e.reads if reads_of is None else reads_of.get(id(e), e.reads)
                if type(reads) is dict:  # narrowed per target (``model, stats = train(h, val)``)
                    for t, r in reads.items():
                        if t not in out and r & out and (skip is None or not skip(e)):
                            out.add(t)
                            changed = True
                    continue
                if reads & out and not set(e.targets) <= out and (skip is None or not skip(e)):
                    out.update(e.targets)
                    changed = True
        return out

    def assignment_of(self, node: cst.CSTNode) -> Edge | None:
        """The assignment whose value contains ``node`` (innermost statement first)."""
        if self._owner is None:
            self._owner = {}
            for e in sorted(self.edges, key=lambda e: e.line):
                if not isinstance(e.node, (cst.Assign, cst.AugAssign, cst.AnnAssign, cst.NamedExpr)):
                    continue
                value = getattr(e.node, "value", None)
                if value is not None:
                    for d in iter_descendants(value):
                        self._owner[id(d)] = e
        return self._owner.get(id(node))

    def store_nodes(self) -> set[int]:
        """ids of Subscript nodes that are assignment targets (writes, not reads)."""
        out: set[int] = set()
        for e in self.edges:
            n = e.node
            targets = []
            if isinstance(n, cst.Assign):
                targets = [t.target for t in n.targets]
            elif isinstance(n, (cst.AugAssign, cst.AnnAssign)):
                targets = [n.target]
            for t in targets:
                for d in iter_descendants(t):
                    if isinstance(d, cst.Subscript):
                        out.add(id(d))
                        break
        return out

    # ------------------------------------------------------------------ reaching definitions
    def defs(self, name: str) -> list[Edge]:
        """Every edge that defines ``name``, in source order."""
        if self._defs is None:
            self._defs = {}
            for e in sorted(self.edges, key=lambda e: e.pos):
                for t in e.targets:
                    self._defs.setdefault(t, []).append(e)
        return self._defs.get(name, [])

    def reaching(self, name: str, pos: tuple[int, int]) -> list[Edge]:
        """The definitions of ``name`` that a read at ``pos`` may see.

        The nearest earlier definition that replaces the value, every augmenting definition
        (``+=``, ``.append``, ``x[i] = ...``) between it and ``pos``, and, when ``pos`` is inside a
        loop, every definition later in that loop's body (seen on the next iteration). A loop target
        is a definition at the loop's line.
        """
        ds = self.defs(name)
        if not ds:
            return []
        earlier = [e for e in ds if e.pos < pos or (e.kind == "loop" and e.line <= pos[0] and self._inside(e, pos))]
        out: list[Edge] = []
        for e in reversed(earlier):
            out.append(e)
            if not e.augments:
                break
        loops = self._loops_at(pos)
        kill = out[-1] if out and not out[-1].augments and out[-1].kind != "loop" else None
        if kill is not None and self._dominates(kill.line, pos[0]):
            # a definition earlier in the same pass that always runs before the read hides the
            # later ones of every loop around both (``chunk = ...; n // chunk`` in a training loop)
            loops = [lp for lp in loops if not lp.line < kill.line <= lp.end_line]
        if loops:
            for e in ds:
                if e.pos >= pos and any(lp.line <= e.line <= lp.end_line for lp in loops) and e not in out:
                    out.append(e)
        return out

    def _dominates(self, line: int, read: int) -> bool:
        """Does a statement at ``line`` always run before a read at ``read`` later in the same pass:
        every ``if`` branch and loop around the statement also holds the read?"""
        for _, start, body_end, else_start, end in self.fn.ifs:
            for lo, hi in ((start + 1 if body_end > start else start, body_end), (else_start, end)):
                if lo <= line <= hi and not lo <= read <= hi:
                    return False
        for lp in self.fn.loops.values():
            if lp.line < line <= lp.end_line and not lp.line < read <= lp.end_line:
                return False
        return line <= read

    def _inside(self, loop_edge: Edge, pos: tuple[int, int]) -> bool:
        for lp in self.fn.loops.values():
            if lp.node is loop_edge.node:
                return lp.line <= pos[0] <= lp.end_line
        return False

    def _loops_at(self, pos: tuple[int, int]) -> list:
        return [lp for lp in self.fn.loops.values() if lp.line < pos[0] <= lp.end_line]


def _memo(facts: Facts, key, compute):
    """A cache kept on the facts, so that it dies with them (Facts.release drops it)."""
    memo = facts.__dict__.setdefault("_flow_memo", {})
    if key not in memo:
        memo[key] = None  # a recursive cycle sees "nothing" rather than looping
        memo[key] = compute()
    return memo[key]


def function_flow(facts: Facts | None, fn: Function) -> FunctionFlow:
    """The value flow of ``fn`` (built once, kept on the function)."""
    hit = fn.__dict__.get("_flow")
    if hit is None:
        hit = fn.__dict__["_flow"] = FunctionFlow(facts, fn)
    return hit


def derived(fn: Function, seeds: Iterable[str], within=None, augmenting: bool = False) -> set[str]:
    """Names of ``fn`` that take their value from ``seeds`` by assignment, unpacking, loop targets
    or mutating calls (``+=`` accumulations count only when ``augmenting``); ``within`` (a loop)
    keeps to the edges inside that loop's body."""
    def skip(e: Edge) -> bool:
        return (e.op is not None and not augmenting) or \
            (within is not None and not within.line <= e.line <= within.end_line)
    return function_flow(None, fn).forward(seeds, skip=skip)


# ---------------------------------------------------------------------------------------- returns and calls
def returned(fn: Function) -> list[cst.Return]:
    """The ``return <value>`` statements of ``fn`` (not of functions nested in it)."""
    out = fn.__dict__.get("_returned")
    if out is None:
        out = []
        if fn.node is not None:
            kinds = (cst.FunctionDef, cst.ClassDef, cst.Lambda)
            nodes = [d for d in iter_descendants(fn.node.body) if isinstance(d, (cst.Return, *kinds))]
            inner = {id(r) for d in nodes if isinstance(d, kinds) for r in iter_descendants(d) if isinstance(r, cst.Return)}
            out = [d for d in nodes if isinstance(d, cst.Return) and d.value is not None and id(d) not in inner]
        fn.__dict__["_returned"] = out
    return out


def return_reads(fn: Function, index: int | None = None) -> frozenset[str]:
    """Names read by the returned value (element ``index`` of a returned tuple, when given)."""
    out: set[str] = set()
    for r in returned(fn):
        v = r.value
        if index is not None and isinstance(v, cst.Tuple):
            if index < len(v.elements):
                out |= names_read(v.elements[index].value)
        else:
            out |= names_read(v)
    return frozenset(out)


def value_reads(node: cst.CSTNode) -> frozenset[str]:
    """Names whose value ``node`` carries: reads outside subscript indices and slices (``t[:n]``
    carries ``t``, not the size ``n``)."""
    inside: set[int] = comprehension_scoped(node)
    for d in iter_descendants(node):
        if isinstance(d, cst.Subscript):
            for el in d.slice:
                inside.update(id(x) for x in iter_descendants(el))
    out = set()
    for d in iter_descendants(node):
        if isinstance(d, (cst.Name, cst.Attribute)) and id(d) not in inside:
            n = dotted_name(d)
            if n:
                out.add(n)
                out.add(n.split(".", 1)[0])
    return frozenset(out)


def return_value_reads(fn: Function) -> frozenset[str]:
    """What the returned values carry (see :func:`value_reads`)."""
    out = fn.__dict__.get("_return_values")
    if out is None:
        out = frozenset().union(*(value_reads(r.value) for r in returned(fn))) if returned(fn) else frozenset()
        fn.__dict__["_return_values"] = out
    return out


def is_chain_of(value: cst.CSTNode | None, call: cst.Call) -> bool:
    """``value`` is ``call`` or a method chain on it (``f(...).astype(np.int64)``)."""
    while value is not None:
        if value is call:
            return True
        if isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute):
            value = value.func.value
        else:
            return False
    return False


def call_results(facts: Facts, fn: Function, pick) -> set[str]:
    """Names assigned from calls of local functions whose returned element satisfies ``pick(g, index)``."""
    out: set[str] = set()
    fl = function_flow(facts, fn)
    for c in fn.calls:
        for g in facts.resolve_call(fn, c):
            if g.node is None:
                continue
            e = fl.assignment_of(c.node)
            if e is None or not is_chain_of(getattr(e.node, "value", None), c.node):
                continue
            tgt = e.node.targets[0].target if isinstance(e.node, cst.Assign) else getattr(e.node, "target", None)
            if isinstance(tgt, (cst.Tuple, cst.List)):
                for i, el in enumerate(tgt.elements):
                    name = dotted_name(el.value)
                    if name and pick(g, i):
                        out.add(name)
            elif pick(g, None):
                out.update(e.targets)
    return out


# ---------------------------------------------------------------------------------------- sources
def _literal_texts(node: cst.CSTNode | None) -> Iterator[str]:
    if node is None:
        return
    for d in iter_descendants(node):
        if isinstance(d, cst.SimpleString):
            yield d.value
        elif isinstance(d, cst.FormattedStringText):
            yield d.value


def holds_source(node: cst.CSTNode | None, kind: str) -> bool:
    """A string literal (plain or f-string text) in ``node`` names the ``kind`` shards."""
    rx = SOURCE_STRING[kind]
    return any(rx.search(t) for t in _literal_texts(node))


def _source_lines(facts: Facts, kind: str) -> frozenset[int]:
    """Lines of the source whose text matches the ``kind`` shard pattern (a cheap pre-filter: a
    literal can only name the shards on such a line)."""
    def compute():
        rx = SOURCE_STRING[kind]
        text = facts.source.text
        if not rx.search(text):
            return frozenset()
        return frozenset(i for i, line in enumerate(text.splitlines(), 1) if rx.search(line))
    return _memo(facts, ("source_lines", kind), compute)


def _holds(facts: Facts, node: cst.CSTNode | None, kind: str) -> bool:
    """:func:`holds_source` for a node of ``facts``, skipping nodes on lines that cannot match."""
    lines = _source_lines(facts, kind)
    if node is None or not lines:
        return False
    try:
        l0, _, l1, _ = facts.span(node)
    except KeyError:
        return holds_source(node, kind)
    if not any(l0 <= ln <= l1 for ln in lines):
        return False
    return holds_source(node, kind)


def _last(name: str) -> str:
    return name.rsplit(".", 1)[-1]


@dataclass
class _Taint:
    """The fixed point of one source kind over a module (see :func:`_analysis`)."""

    attrs: frozenset[str]
    static: dict[str, list[Edge]]  # per function: edges straight from a literal, attribute or external loader
    calls: dict[str, list[tuple[Edge, object, tuple]]]  # per function: (edge, call site, local callees) in edge values
    returns: set[str]  # functions whose return holds source data whatever their arguments
    through: dict[str, frozenset[str]]  # per function: parameters whose value reaches the return
    params: dict[str, set[str]]
    names: dict[str, frozenset[str]]
    # per function: edges whose call returns source data at that call site, with the targets that get it
    hits: dict[str, list[tuple[Edge, tuple[str, ...]]]]
    # per function: edges that assign a local call's result read only the arguments that reach the
    # callee's return (``model = train_model(h, val_data)`` does not hold val_data when the model
    # returned does not derive from it)
    reads_of: dict[str, dict[int, Reads]]


def source_attributes(facts: Facts, kind: str) -> frozenset[str]:
    """Attribute and setting names (last component) assigned from a ``kind`` source anywhere:
    ``val_files = os.path.join(data_path, "fineweb_val_*.bin")`` in a Hyperparameters class,
    ``self.val_pattern = f"{root}/fineweb_val_*.bin"``, and names derived from them at module level."""
    def compute():
        out: set[str] = set()
        for fn in facts.functions.values():
            for a in fn.assigns:
                if a.value is not None and _holds(facts, a.value, kind):
                    out.update(_last(t) for t in a.targets)
        module = facts.functions.get(MODULE)
        if module is not None and out:
            fl = function_flow(facts, module)
            out |= {_last(t) for t in fl.forward(out)}
        return frozenset(out)
    return _memo(facts, ("attrs", kind), compute)


def _analysis(facts: Facts, kind: str) -> _Taint:
    """Taint of ``kind`` data over the whole module, to a fixed point over the call graph.

    A call's result holds source data when the callee returns it whatever it is given (a loader
    that globs the shards itself) or when an argument that reaches the callee's return holds it at
    that call site (``load_data_shard(file)`` returns validation data only when given a validation
    file): a shard reader shared by the training and the validation loaders does not taint training
    batches. Parameters receive source data from any caller (a may-analysis inside the callee).
    """
    def compute():
        attrs = source_attributes(facts, kind)
        loader = SOURCE_LOADER[kind]
        static: dict[str, list[Edge]] = {}
        calls: dict[str, list[tuple[Edge, object, tuple]]] = {}
        seeds: dict[str, set[str]] = {}
        through: dict[str, frozenset[str]] = {}
        for fn in facts.functions.values():
            fl = function_flow(facts, fn)
            sites = {id(c.node): c for c in fn.calls}
            st, cl = [], []
            for e in fl.edges:
                value = e.node if e.kind == "mutate" else getattr(e.node, "value", None)
                if value is not None and _holds(facts, value, kind):
                    st.append(e)
                    continue
                if any("." in r and _last(r) in attrs for r in e.reads):
                    st.append(e)
                    continue
                if value is None or e.kind == "loop":
                    continue
                external = False
                for d in iter_descendants(value):
                    if isinstance(d, cst.Call) and id(d) in sites:
                        c = sites[id(d)]
                        local = tuple(g for g in facts.resolve_call(fn, c) if g.node is not None)
                        if local:
                            cl.append((e, c, local))
                        elif loader.search(c.func or ""):
                            external = True
                if external:
                    st.append(e)
            static[fn.qualname], calls[fn.qualname] = st, cl
            s = _name_seeds(facts, fn, kind) | {t for e in st for t in e.targets}
            s |= {r for c in fn.calls for r in c.reads if "." in r and _last(r) in attrs}
            seeds[fn.qualname] = s
            rr = return_value_reads(fn) | _init_attrs(fn)
            ps = [p for p in fn.params if p not in ("self", "cls")]
            through[fn.qualname] = frozenset(p for p in ps if rr & fl.forward({p})) if rr else frozenset()
        reads_of: dict[str, dict[int, Reads]] = {}
        for fn in facts.functions.values():
            reads_of[fn.qualname] = _narrowed(facts, fn, calls[fn.qualname], through)
        returns: set[str] = set()
        params: dict[str, set[str]] = {q: set() for q in facts.functions}
        names_of: dict[str, frozenset[str]] = {}
        hits: dict[str, list[tuple[Edge, tuple[str, ...]]]] = {}

        def call_hit(c, local, names_here) -> bool:
            for g in local:
                if g.qualname in returns:
                    return True
                thru = through.get(g.qualname)
                if not thru:
                    continue
                ps = [p for p in g.params if p not in ("self", "cls")]
                if any(i < len(ps) and ps[i] in thru and reads & names_here for i, reads in enumerate(c.arg_reads)):
                    return True
                if any(kw in thru and reads & names_here for kw, reads in c.kw_reads):
                    return True
            return False

        def hit_targets(e, local, names_here, narrow) -> tuple[str, ...]:
            """The targets of a hit call's edge that receive source data: all of them when the
            callee returns it whatever its arguments, else those whose element of the returned tuple
            the tainted arguments reach."""
            per = narrow.get(id(e))
            if type(per) is not dict or any(g.qualname in returns for g in local):
                return e.targets
            return tuple(t for t, r in per.items() if r & names_here)

        outer = {q: _outer(facts, fn) for q, fn in facts.functions.items()}
        for _ in range(8):
            changed = False
            for fn in facts.functions.values():
                q = fn.qualname
                fl = function_flow(facts, fn)
                s = seeds[q] | params[q]
                if outer[q] is not None:  # a closure or a global read: the enclosing scope's names
                    s = s | (_free_reads(facts, fn) & names_of.get(outer[q], frozenset()))
                narrow = reads_of[q]
                cur = frozenset(fl.forward(s, reads_of=narrow)) if s else frozenset()
                found: list[tuple[Edge, tuple[str, ...]]] = []
                for _ in range(3):  # call results feed later calls in the same function
                    more = [(e, hit_targets(e, local, cur, narrow)) for e, c, local in calls[q] if call_hit(c, local, cur)]
                    more = [(e, ts) for e, ts in more if ts]
                    if len(more) == len(found):
                        break
                    found = more
                    cur = frozenset(fl.forward(s | {t for _, ts in more for t in ts}, reads_of=narrow))
                names_of[q], hits[q] = cur, found
                # intrinsic: the return holds source data without any parameter's help
                if fn.node is not None and q not in returns and (seeds[q] or found):
                    own = frozenset(fl.forward(seeds[q], reads_of=narrow)) if seeds[q] else frozenset()
                    for _ in range(3):
                        own_hits = [hit_targets(e, local, own, narrow) for e, c, local in calls[q] if call_hit(c, local, own)]
                        grown = frozenset(fl.forward(seeds[q] | {t for ts in own_hits for t in ts}, reads_of=narrow))
                        if grown == own:
                            break
                        own = grown
                    if (return_reads(fn) | _data_init_attrs(facts, fn)) & own:
                        returns.add(q)
                        changed = True
            for fn in facts.functions.values():
                local = names_of[fn.qualname]
                nested = {id(c.node) for e, c, local_calls in calls[fn.qualname] if call_hit(c, local_calls, local)}
                for c in fn.calls:
                    for g in facts.resolve_call(fn, c):
                        ps = [p for p in g.params if p not in ("self", "cls")]
                        for i, arg in enumerate(a for a in c.node.args if a.keyword is None):
                            if i < len(ps) and ps[i] not in params[g.qualname] and _arg_holds(
                                    arg.value, c.arg_reads[i] if i < len(c.arg_reads) else frozenset(), local,
                                    kind, nested):
                                params[g.qualname].add(ps[i])
                                changed = True
                        for a in c.node.args:
                            kw = a.keyword.value if a.keyword is not None else None
                            if kw and kw in g.params and kw not in params[g.qualname] and _arg_holds(
                                    a.value, dict(c.kw_reads).get(kw, frozenset()), local, kind, nested):
                                params[g.qualname].add(kw)
                                changed = True
            if not changed:
                break
        for fn in facts.functions.values():  # `val_data.val_tokens` holds what `val_data` holds
            cur = names_of.get(fn.qualname)
            if cur:
                extra = {r for r in _all_reads(facts, fn) if "." in r and r.split(".", 1)[0] in cur}
                if extra - cur:
                    names_of[fn.qualname] = cur | extra
        return _Taint(attrs, static, calls, returns, through, params, names_of, hits, reads_of)
    return _memo(facts, ("taint", kind), compute)


def _narrowed(facts: Facts, fn: Function, calls, through) -> dict[int, Reads]:
    """For edges whose value is a call of local functions (or a method chain on one), the names the
    result can hold: the receiver, and the arguments whose parameter reaches the callee's return."""
    out: dict[int, Reads] = {}
    for e, c, local in calls:
        value = getattr(e.node, "value", None)
        if value is None or not is_chain_of(value, c.node):
            continue
        keep: set[str] = set()
        func = c.node.func
        if isinstance(func, cst.Attribute):
            keep |= names_read(func.value)
        for g in local:
            thru = through.get(g.qualname, frozenset())
            ps = [p for p in g.params if p not in ("self", "cls")]
            for i, reads in enumerate(c.arg_reads):
                if i < len(ps) and ps[i] in thru:
                    keep |= reads
                elif i >= len(ps) and g.node is not None and isinstance(g.node.params.star_arg, cst.Param):
                    keep |= reads  # *args: assume it reaches the return
            for kw, reads in c.kw_reads:
                if kw in thru or kw not in g.params:
                    keep |= reads
        # the value may do more than call: `train(h, x).to(device)` reads what the chain reads
        out[id(e)] = frozenset(keep | (e.reads - c.reads))
        per = _unpacked(facts, e, c, local, set(names_read(func.value)) if isinstance(func, cst.Attribute) else set())
        if per is not None:
            out[id(e)] = {t: frozenset(r | (e.reads - c.reads)) for t, r in per.items()}
    return out


def _unpacked(facts: Facts, e: Edge, c, local, receiver: set[str]) -> dict[str, frozenset[str]] | None:
    """``a, b, c = f(x, y)`` with a local ``f`` that returns tuples of that length: per target, the
    receiver and the arguments whose parameter reaches that element of the returned tuple (the
    model that ``train_model(h, val_data)`` returns does not hold val_data because the training
    summary beside it does)."""
    node = e.node
    if not isinstance(node, cst.Assign) or len(node.targets) != 1 or node.value is not c.node:
        return None
    target = node.targets[0].target
    if not isinstance(target, (cst.Tuple, cst.List)):
        return None
    names = [dotted_name(el.value) if not isinstance(el, cst.StarredElement) else None for el in target.elements]
    if not names or None in names:
        return None
    size = len(names)
    per: dict[str, set[str]] = {n: set(receiver) for n in names}
    for g in local:
        rets = returned(g)
        if not rets or not all(isinstance(r.value, cst.Tuple) and len(r.value.elements) == size
                               and not any(isinstance(el, cst.StarredElement) for el in r.value.elements)
                               for r in rets):
            return None
        if g.node is not None and (isinstance(g.node.params.star_arg, cst.Param) or g.node.params.star_kwarg):
            return None
        fl = function_flow(facts, g)
        ps = [p for p in g.params if p not in ("self", "cls")]
        reach = {p: fl.forward({p}) for p in ps}
        for i, n in enumerate(names):
            rr = frozenset().union(*(value_reads(r.value.elements[i].value) for r in rets))
            thru = {p for p in ps if rr & reach[p]}
            for j, reads in enumerate(c.arg_reads):
                if j < len(ps) and ps[j] in thru:
                    per[n] |= reads
            for kw, reads in c.kw_reads:
                if kw in thru or kw not in g.params:
                    per[n] |= reads
    return {n: frozenset(r) for n, r in per.items()}


def _outer(facts: Facts, fn: Function) -> str | None:
    """Where ``fn`` reads its free names: the function a nested function is defined in, else the
    module (globals); None for the module itself."""
    if fn.node is None:
        return None
    if "." in fn.qualname:
        q = fn.qualname.rsplit(".", 1)[0]
        g = facts.functions.get(q)
        if g is not None and g.node is not None:
            return q
    return MODULE if MODULE in facts.functions else None


def _all_reads(facts: Facts, fn: Function) -> frozenset[str]:
    return _memo(facts, ("reads", fn.qualname), lambda: frozenset().union(
        *(a.reads for a in fn.assigns), *(c.reads for c in fn.calls), *(lp.iter_reads for lp in fn.loops.values()),
        *(sub.index_reads for sub in fn.subscripts), *fn.returns))


def _free_reads(facts: Facts, fn: Function) -> frozenset[str]:
    """Names ``fn`` reads but neither assigns nor takes as a parameter (closure or global reads)."""
    def compute():
        assigned = {t for a in fn.assigns for t in a.targets} | {t for lp in fn.loops.values() for t in lp.targets}
        return frozenset(r for r in _all_reads(facts, fn) if r.split(".", 1)[0] not in assigned
                         and r.split(".", 1)[0] not in fn.params)
    return _memo(facts, ("free", fn.qualname), compute)


def _arg_holds(arg: cst.BaseExpression, reads: frozenset[str], local: frozenset[str], kind: str,
               hit_calls: set[int]) -> bool:
    """An argument holds source data: it reads a tainted name, names the shards itself, or is (or
    contains) a call whose result holds them (``score(load_val(...))``)."""
    if reads & local:
        return True
    if isinstance(arg, (cst.SimpleString, cst.FormattedString, cst.ConcatenatedString)) or (
            isinstance(arg, cst.Call) and holds_source(arg, kind)):
        return holds_source(arg, kind)
    return bool(hit_calls) and any(id(d) in hit_calls for d in iter_descendants(arg))


def _init_attrs(fn: Function) -> frozenset[str]:
    """A constructor "returns" the object it fills: the ``self.*`` attributes ``__init__`` assigns."""
    if fn.name != "__init__":
        return frozenset()
    return frozenset(t for a in fn.assigns for t in a.targets if t.startswith("self."))


# calls that only build or pick a path: the shard pattern they are given stays a name, not data
PATH_CALLS = re.compile(r"^(os\.path\.\w+|os\.environ\.get|os\.getenv|environ\.get|str|Path|pathlib\.Path|"
                        r"glob\.glob|glob|sorted|list|tuple|int|float|bool)$")
STRING_METHODS = {"format", "replace", "strip", "rstrip", "lstrip", "split", "lower", "upper", "join", "with_suffix",
                  "with_name", "expanduser", "resolve", "absolute", "glob", "rglob"}


def _path_valued(facts: Facts, fn: Function, name: str, _seen: set[str] | None = None) -> bool:
    """Does every definition of ``name`` in ``fn`` build a string or path (a literal, an f-string,
    ``os.path.join``/``os.environ.get``/``glob``/``sorted`` of such, a conditional between such) rather
    than load data? ``self.val_files = os.path.join(root, "fineweb_val_*.bin")`` is path-valued;
    ``self.val_tokens = load_tokens(self.val_files)`` is not."""
    seen = _seen if _seen is not None else set()
    key = f"{fn.qualname}:{name}"
    if key in seen:
        return True
    seen.add(key)
    defs = function_flow(facts, fn).defs(name)
    if not defs:
        return True  # a parameter or an outer name: what it holds is decided at its own definition
    for e in defs:
        value = e.node if e.kind == "mutate" else getattr(e.node, "value", None)
        if e.kind in ("loop", "unpack", "mutate") or value is None or not _path_expr(facts, fn, value, seen):
            return False
    return True


def _path_expr(facts: Facts, fn: Function, node: cst.CSTNode, seen: set[str]) -> bool:
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString, cst.Integer, cst.Float)):
        return True
    if isinstance(node, (cst.Name, cst.Attribute)):
        name = dotted_name(node)
        return name is None or _path_valued(facts, fn, name, seen)
    if isinstance(node, cst.IfExp):
        return _path_expr(facts, fn, node.body, seen) and _path_expr(facts, fn, node.orelse, seen)
    if isinstance(node, cst.BooleanOperation):
        return _path_expr(facts, fn, node.left, seen) and _path_expr(facts, fn, node.right, seen)
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, (cst.Add, cst.Divide, cst.Modulo)):
        return _path_expr(facts, fn, node.left, seen) and _path_expr(facts, fn, node.right, seen)
    if isinstance(node, (cst.List, cst.Tuple)):
        return all(_path_expr(facts, fn, el.value, seen) for el in node.elements)
    if isinstance(node, cst.Subscript):
        return _path_expr(facts, fn, node.value, seen)
    if isinstance(node, cst.Call):
        if not all(_path_expr(facts, fn, a.value, seen) for a in node.args):
            return False
        if PATH_CALLS.match(dotted_name(node.func) or ""):
            return True
        if isinstance(node.func, cst.Attribute) and node.func.attr.value in STRING_METHODS:
            return _path_expr(facts, fn, node.func.value, seen)
        # a local helper that returns a path (``_default_val_byte_files(root)``)
        site = next((c for c in fn.calls if c.node is node), None)
        local = [g for g in facts.resolve_call(fn, site) if g.node is not None] if site is not None else []
        key = "()" + (local[0].qualname if local else "")
        if not local or key in seen:
            return bool(local)
        seen.add(key)
        return all(r.value is not None and _path_expr(facts, g, r.value, seen) for g in local for r in returned(g))
    return False


def _data_init_attrs(facts: Facts, fn: Function) -> frozenset[str]:
    """The constructor's attributes that carry data: a settings object whose ``val_files`` is a shard
    pattern is not validation data (reads of ``h.val_files`` are followed as a source attribute);
    a loader object whose ``val_tokens`` it loads is."""
    attrs = _init_attrs(fn)
    if not attrs:
        return attrs
    return frozenset(a for a in attrs if not _path_valued(facts, fn, a))


def source_edges(facts: Facts, fn: Function, kind: str = VAL) -> list[Edge]:
    """Edges of ``fn`` that take ``kind`` data straight from a source: a shard-naming literal, a
    source attribute, an external loader named for it, or a local function that returns it."""
    return [e for e, _ in source_targets(facts, fn, kind)]


def source_targets(facts: Facts, fn: Function, kind: str = VAL) -> list[tuple[Edge, tuple[str, ...]]]:
    """:func:`source_edges` with the targets each gives source data to (``model, stats =
    train(h, val_data)`` gives it to ``stats`` only when only the stats derive from val_data)."""
    t = _analysis(facts, kind)
    return [(e, e.targets) for e in t.static.get(fn.qualname, [])] + list(t.hits.get(fn.qualname, []))


def source_returns(facts: Facts, kind: str = VAL) -> frozenset[str]:
    """Qualnames of local functions whose returned value derives from ``kind`` data."""
    return frozenset(_analysis(facts, kind).returns)


def source_params(facts: Facts, fn: Function, kind: str = VAL) -> frozenset[str]:
    """Parameters of ``fn`` that receive ``kind`` data from some caller."""
    return frozenset(_analysis(facts, kind).params.get(fn.qualname, ()))


def _name_seeds(facts: Facts, fn: Function, kind: str) -> set[str]:
    """Where the flow cannot be followed, a name is the only evidence: a parameter that no local code
    passes anything to, or a free variable / attribute that the submission never assigns."""
    def compute():
        rx = SOURCE_NAME[kind]
        out: set[str] = set()
        if not facts.callers.get(fn.qualname):
            out |= {p for p in fn.params if rx.search(p)}
        assigned = _assigned_anywhere(facts)
        reads = set().union(*(a.reads for a in fn.assigns), *(c.reads for c in fn.calls),
                            *(lp.iter_reads for lp in fn.loops.values()))
        out |= {r for r in reads if rx.search(r) and _last(r) not in assigned and r not in fn.params}
        return out
    return _memo(facts, ("name_seeds", kind, fn.qualname), compute)


def _assigned_anywhere(facts: Facts) -> frozenset[str]:
    return _memo(facts, ("assigned",), lambda: frozenset(
        _last(t) for fn in facts.functions.values() for a in fn.assigns for t in a.targets)
        | frozenset(p for fn in facts.functions.values() for p in fn.params))


def names(facts: Facts, fn: Function, kind: str = VAL) -> frozenset[str]:
    """Every name in ``fn`` that may hold ``kind`` data (or a value derived from it) somewhere in the
    function: a flow-insensitive over-approximation, for filters. Ask :func:`value_at` for order."""
    return _analysis(facts, kind).names.get(fn.qualname, frozenset())


def _direct_sources(facts: Facts, fn: Function, kind: str) -> dict[int, tuple[str, ...]]:
    """Edges of ``fn`` that take source data whatever the values around them, by id, with their
    targets: a literal, attribute or external loader, or a local function that returns source data
    whatever it is given. A call that returns what its arguments hold is not here: :func:`value_at`
    follows it through those arguments, as defined at the call."""
    def compute():
        t = _analysis(facts, kind)
        direct = {id(e) for e, _, local in t.calls.get(fn.qualname, []) if any(g.qualname in t.returns for g in local)}
        direct |= {id(e) for e in t.static.get(fn.qualname, [])}
        return {id(e): ts for e, ts in source_targets(facts, fn, kind) if id(e) in direct}
    return _memo(facts, ("direct", kind, fn.qualname), compute)


def value_at(facts: Facts, fn: Function, reads: Iterable[str], pos, kind: str = VAL) -> bool:
    """Do ``reads``, as defined where they are read at ``pos`` ((line, col) or a line), derive from
    ``kind`` data? Each name's reaching definitions decide, followed back through what they read."""
    if not isinstance(pos, tuple):
        pos = (int(pos), 10 ** 6)
    fl = function_flow(facts, fn)
    params = source_params(facts, fn, kind) | _name_seeds(facts, fn, kind)
    sources = _direct_sources(facts, fn, kind)
    attrs = source_attributes(facts, kind)
    narrow = _analysis(facts, kind).reads_of.get(fn.qualname, {})
    seen: set[tuple[str, tuple[int, int]]] = set()

    def walk(ns: Iterable[str], at: tuple[int, int], depth: int) -> bool:
        if depth > 12:
            return False
        for n in ns:
            if (n, at) in seen:
                continue
            seen.add((n, at))
            if n in params or ("." in n and _last(n) in attrs):
                return True
            for e in fl.reaching(n, at):
                if n in sources.get(id(e), ()):
                    return True
                got = narrow.get(id(e), e.reads)
                if type(got) is dict:
                    got = got.get(n, e.reads)
                reads = set(got) - ({n} if e.augments else set())
                if reads and walk(reads, e.pos, depth + 1):
                    return True
        return False

    return walk(set(reads), pos, 0)


def definition(facts: Facts, fn: Function, name: str, pos) -> Edge | None:
    """The definition that gives ``name`` its value at ``pos``: the nearest earlier one that replaces
    it (an assignment or a loop target), or None (a parameter, a global, or nothing)."""
    if not isinstance(pos, tuple):
        pos = (int(pos), 10 ** 6)
    for e in function_flow(facts, fn).reaching(name, pos):
        if e.pos <= pos and not e.augments:
            return e
    return None


def from_source(facts: Facts, fn: Function, name: str, pos, kind: str = VAL) -> bool:
    """``name`` at ``pos`` holds ``kind`` data taken straight from a source: the definition that
    reaches it reads the shards (or a loader of them), or it is a parameter that receives them, or
    an attribute / free name that holds them."""
    if not isinstance(pos, tuple):
        pos = (int(pos), 10 ** 6)
    if "." in name and _last(name) in source_attributes(facts, kind):
        return True
    d = definition(facts, fn, name, pos)
    if d is None:
        root = name.split(".", 1)[0]
        return name in source_params(facts, fn, kind) or root in source_params(facts, fn, kind) \
            or name in _name_seeds(facts, fn, kind) or root in _name_seeds(facts, fn, kind)
    return any(d is e and name in ts for e, ts in source_targets(facts, fn, kind))


def before(fn: Function, a: tuple[int, int], b: tuple[int, int]) -> bool:
    """Position ``a`` runs before ``b`` within one pass of their common loops (source order inside
    the innermost loop both share; a loop iterating again is not "before")."""
    return a < b


__all__ = ["VAL", "TRAIN", "Edge", "FunctionFlow", "function_flow", "returned", "return_reads", "call_results",
           "is_chain_of", "derived", "holds_source", "source_edges", "source_targets", "source_attributes", "source_returns", "source_params",
           "names", "value_at", "before"]
