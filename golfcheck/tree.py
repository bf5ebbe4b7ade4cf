"""Walking libcst trees cheaply: children, descendants, pruned walks, names read.

Shared by the facts pass, the run configuration and the rules; it knows nothing of what the code
means. The facts pass records every node's children and its pre-order range in :data:`_KIDS` while
it generates code, so walks over parsed submissions are list slices; nodes it has not seen fall back
to their dataclass fields.
"""

from __future__ import annotations

import dataclasses
from typing import Iterator

import libcst as cst

from golfcheck.source import dotted_name

_READS_MEMO: dict[int, tuple[cst.CSTNode, frozenset[str]]] = {}


# id(node) -> (node, its children that carry code in source order, first, end, order), filled by
# the facts pass: ``order[first:end]`` is the node and everything below it, in source pre-order
_KIDS: dict[int, tuple[cst.CSTNode, list[cst.CSTNode], int, int, list[cst.CSTNode]]] = {}


def clear_memos() -> None:
    """Drop the module-level memos (they hold nodes alive); the engine runs this after each unit."""
    _READS_MEMO.clear()
    _KIDS.clear()


def names_read(node: cst.CSTNode | None) -> frozenset[str]:
    """Dotted names read in an expression: ``a.b[c]`` reads {"a.b", "a", "c"} (memoised per node)."""
    if node is None:
        return frozenset()
    hit = _READS_MEMO.get(id(node))
    if hit is not None and hit[0] is node:
        return hit[1]
    out: set[str] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        t = type(n)
        if t is cst.Name:
            out.add(n.value)
            continue
        if t is cst.Attribute:
            d = dotted_name(n)
            if d:
                out.add(d)
                out.add(d.split(".", 1)[0])
                continue
        if t in _COMPREHENSIONS:
            out |= _comprehension_reads(n)
            continue
        stack.extend(node_children(n))
    result = frozenset(out)
    if len(_READS_MEMO) > 500_000:  # bounded: the memo holds its nodes alive
        _READS_MEMO.clear()
    _READS_MEMO[id(node)] = (node, result)
    return result


# fields that only hold layout: whitespace, comments, parentheses and punctuation
_LAYOUT_FIELDS = frozenset({
    "lpar", "rpar", "leading_lines", "lines_after_decorators", "header", "footer", "trailing_whitespace",
    "comma", "semicolon", "dot", "equal", "colon", "first_colon", "second_colon", "lbrace", "rbrace",
    "lbracket", "rbracket", "trailing_comma", "empty_lines", "newline", "leading_whitespace", "posonly_ind",
})
_FIELDS: dict[type, tuple[str, ...]] = {}
_IS_NODE: dict[type, bool] = {}


def _code_fields(node_type: type) -> tuple[str, ...]:
    names = tuple(f.name for f in dataclasses.fields(node_type)
                  if f.name not in _LAYOUT_FIELDS and not f.name.startswith("whitespace"))
    _FIELDS[node_type] = names
    return names


def _is_node(t: type) -> bool:
    hit = _IS_NODE.get(t)
    if hit is None:
        hit = _IS_NODE[t] = issubclass(t, cst.CSTNode)
    return hit


def node_children(node: cst.CSTNode) -> list[cst.CSTNode]:
    """The child nodes of ``node`` that carry code, in field order (close to source order).

    Whitespace, comments, parentheses and punctuation are left out. Read straight from the node's
    dataclass fields: libcst's ``children`` runs a visitor that rebuilds the node each time (~20x
    slower). Use this, :func:`walk`, :func:`find` or :func:`iter_descendants` for subtree walks.
    The facts pass records every node's children as it generates the code (source order); other
    nodes are read from their fields. The list returned is shared: do not modify it.
    """
    hit = _KIDS.get(id(node))
    if hit is not None and hit[0] is node:
        return hit[1]
    names = _FIELDS.get(type(node))
    if names is None:
        names = _code_fields(type(node))
    out: list[cst.CSTNode] = []
    for name in names:
        value = getattr(node, name)
        t = type(value)
        if t is tuple or t is list:
            out.extend(v for v in value if _is_node(type(v)))
        elif value is not None and _is_node(t):
            out.append(value)
    return out


def subtree(node: cst.CSTNode) -> list[cst.CSTNode] | None:
    """``node`` and every node below it that carries code, in source pre-order, as one list slice
    (None for a node the facts pass did not record)."""
    hit = _KIDS.get(id(node))
    if hit is not None and hit[0] is node:
        return hit[4][hit[2]:hit[3]]
    return None


_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)


def comprehension_bound(comp: cst.CSTNode) -> frozenset[str]:
    """Names a comprehension binds (its ``for`` targets): local to it, as in Python 3."""
    out: set[str] = set()
    for_in = getattr(comp, "for_in", None)
    while for_in is not None:
        for d in _iter_descendants(for_in.target):
            if type(d) is cst.Name:
                out.add(d.value)
        for_in = for_in.inner_for_in
    return frozenset(out)


def _comprehension_reads(comp: cst.CSTNode) -> frozenset[str]:
    """What a comprehension reads from its enclosing scope: everything inside it but the names it
    binds (``{k: v.cpu() for k, v in sd.items()}`` reads ``sd``, not an outer ``k`` or ``v``), plus
    its first iterable, which Python evaluates outside it."""
    bound = comprehension_bound(comp)
    inner: set[str] = set()
    for child in node_children(comp):
        inner |= names_read(child)
    out = {n for n in inner if n.split(".", 1)[0] not in bound}
    return frozenset(out) | names_read(comp.for_in.iter)


def comprehension_scoped(node: cst.CSTNode) -> set[int]:
    """ids of the Name/Attribute nodes below ``node`` that read a name bound by an enclosing
    comprehension inside ``node`` (and so are not reads of the function's variable of that name)."""
    out: set[int] = set()
    for comp in iter_descendants(node):
        if type(comp) not in _COMPREHENSIONS:
            continue
        bound = comprehension_bound(comp)
        first_iter = {id(d) for d in iter_descendants(comp.for_in.iter)}
        for d in iter_descendants(comp):
            if id(d) in first_iter:
                continue
            if type(d) is cst.Name and d.value in bound:
                out.add(id(d))
            elif type(d) is cst.Attribute:
                root = dotted_name(d)
                if root and root.split(".", 1)[0] in bound:
                    out.add(id(d))
    return out


def iter_descendants(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """``node`` and every node below it (pre-order; source order for nodes of a parsed module)."""
    nodes = subtree(node)
    if nodes is not None:
        return iter(nodes)
    return _iter_descendants(node)


def _iter_descendants(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(node_children(n))


def walk(node: cst.CSTNode | None, prune=None) -> Iterator[cst.CSTNode]:
    """``node`` and the nodes below it, pre-order in field order (close to source order).

    ``prune(n)`` returning true yields ``n`` but not what is below it. The fast replacement for a
    ``cst.CSTVisitor`` that only collects nodes: no visitor dispatch, no node rebuilding.
    """
    if node is None:
        return
    if prune is None:
        nodes = subtree(node)
        if nodes is not None:
            yield from nodes
            return
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        if prune is None or not prune(n):
            stack.extend(reversed(node_children(n)))


_EXACT: dict[tuple[type, ...], frozenset[type] | None] = {}


def _exact_types(types: tuple[type, ...]) -> frozenset[type] | None:
    """The set of ``types`` when none has subclasses (then ``type(n) in set`` is ``isinstance``)."""
    hit = _EXACT.get(types, False)
    if hit is False:
        hit = _EXACT[types] = None if any(t.__subclasses__() for t in types) else frozenset(types)
    return hit


def find(node: cst.CSTNode | None, *types: type) -> list:
    """Every node of one of ``types`` in the subtree of ``node`` (itself included), in walk order."""
    if node is None:
        return []
    nodes = subtree(node)
    if nodes is None:
        nodes = walk(node)
    exact = _exact_types(types)
    if exact is not None:  # libcst nodes' ABC isinstance is slow; leaf classes compare by type
        return [n for n in nodes if type(n) in exact]
    return [n for n in nodes if isinstance(n, types)]


