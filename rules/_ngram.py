"""Shared eval-time dataflow for the n-gram and normalisation rules (GC101-GC107, GC904, GC905).

Most of these rules ask one question about one function of the evaluation path: does a value
derived from the realised target (``y``, ``tgt``, ``val_np[j]`` at the predicted position) reach
a table index, a per-token selection, or the scored ``-log``? The value flow itself (edges, forward
closure, call results, returns, validation taint) is the shared layer's, :mod:`golfcheck.flow`; this
module adds what is specific to the family: where the realised target is, which keys hash it with
its context, and which accumulations are scored log-losses. It is deliberately conservative about what
counts as a *sink*: only accumulations of a log-loss (``loss_sum += ...``, ``mix_nll -= ...``),
and values returned to such an accumulation in a caller.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Iterator

import libcst as cst

from golfcheck import flow as _flow
from golfcheck.facts import Facts, Function, iter_descendants, names_read
from golfcheck.source import dotted_name

# Operators that combine a context hash with another value into a table key.
HASH_OPS = (cst.BitXor, cst.Modulo, cst.BitAnd, cst.BitOr, cst.LeftShift)
LOG_CALLS = {"log", "log2", "log10", "log1p", "log_softmax", "cross_entropy", "nll_loss", "_ln", "xlogy"}
TARGET_PART = {"y", "tgt", "tgts", "target", "targets", "labels", "gold"}
CONST_PART = re.compile(r"(mask|prime|primes|mult|mod|bucket|buckets|size|bits|vocab|shift|seed|salt)s?$", re.I)
LOSSY_NAME = re.compile(r"(^|_)(nll|nlls|loss|losses|logp|logps|lp|lps|logprob|logprobs|log_p|nats|xent|ce)(_|$)", re.I)
ACC_NAME = re.compile(r"(^|_)(nll|loss|nats|bits|ce|bpb|logp|xent)(_|$)|(^|_)(sum|total)(_|$)", re.I)
ROW_SUM = {"sum", "logsumexp", "softmax", "log_softmax", "nansum"}


# ---------------------------------------------------------------------------------------- value flow
# One edge per assignment, unpack, mutating call and loop target: the shared layer's (golfcheck.flow).
Edge = _flow.Edge
Flow = _flow.FunctionFlow


def _descendants(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    return iter_descendants(node)


_MISSING = object()


def _memo(kind: str, facts: Facts, fn: Function, compute):
    """Per-(facts, function) cache, kept on the facts so that it dies with them."""
    memo = facts.__dict__.setdefault("_ngram_memo", {})
    key = (fn.qualname, kind)
    value = memo.get(key, _MISSING)
    if value is _MISSING:
        value = memo[key] = compute()
    return value


def flow(facts: Facts, fn: Function) -> Flow:
    return _flow.function_flow(facts, fn)


# ---------------------------------------------------------------------------------------- targets
NOT_A_TOKEN = {"start", "end", "idx", "index", "indices", "pos", "positions", "offset", "len", "length", "count",
               "n", "num", "size", "layers", "lut", "mask", "bytes", "dim", "shape", "total", "ms", "time", "bpb"}


def _is_target_name(name: str) -> bool:
    """``scored_tgt_list``, ``tgt_np``, ``y_cpu`` hold target tokens; ``target_start`` does not."""
    parts = name.rsplit(".", 1)[-1].lower().split("_")
    return bool(set(parts) & TARGET_PART) and parts[-1] not in NOT_A_TOKEN and parts[0] not in NOT_A_TOKEN


def _index_form(sl: cst.BaseSlice) -> tuple[str, int] | None:
    """``p`` -> (p, 0); ``p - e`` -> (p, -1); ``p + e`` -> (p, +1); else None."""
    if not isinstance(sl, cst.Index):
        return None
    v = sl.value
    if isinstance(v, cst.Name):
        return v.value, 0
    if isinstance(v, cst.BinaryOperation) and isinstance(v.left, cst.Name):
        if isinstance(v.operator, cst.Subtract):
            return v.left.value, -1
        if isinstance(v.operator, cst.Add):
            return v.left.value, 1
    return None


def current_position_reads(facts: Facts, fn: Function) -> set[int]:
    return _memo("curpos", facts, fn, lambda: _current_position_reads(facts, fn))


def _current_position_reads(facts: Facts, fn: Function) -> set[int]:
    """Subscripts ``tokens[p]`` that read the token being predicted.

    When the same validation stream is read at ``tokens[p - k]`` (the context) and ``tokens[p]``,
    then ``tokens[p]`` is the token that follows the context: the realised target (PR #797's
    ``ngram_hash_keys``). With ``tokens[p + 1]`` present, that one is the target instead.
    """
    val = facts.val_tainted(fn)
    forms: dict[tuple[str, str], dict[int, list[cst.Subscript]]] = {}
    for s in fn.subscripts:
        if not s.base or len(s.node.slice) != 1 or s.base not in val:
            continue
        form = _index_form(s.node.slice[0].slice)
        if form:
            forms.setdefault((s.base, form[0]), {}).setdefault(form[1], []).append(s.node)
    out: set[int] = set()
    for by_off in forms.values():
        if 1 in by_off and (0 in by_off or -1 in by_off):
            out.update(id(n) for n in by_off[1])
        elif -1 in by_off and 0 in by_off:
            out.update(id(n) for n in by_off[0])
    return out


_call_results = _flow.call_results
_is_chain_of = _flow.is_chain_of
_returned = _flow.returned
_return_reads = _flow.return_reads


def _targets(facts: Facts, fn: Function, depth: int) -> frozenset[str]:
    qualname = fn.qualname
    fl = flow(facts, fn)
    seeds = set(facts.target_names(fn))
    seeds |= {p for p in fn.params if _is_target_name(p)}
    seeds |= {t for e in fl.edges for t in e.targets if _is_target_name(t)}
    cur = current_position_reads(facts, fn)
    if cur:
        for e in fl.edges:
            value = getattr(e.node, "value", None)
            if value is not None and any(id(d) in cur for d in _descendants(value)):
                seeds.update(e.targets)
    if depth < 2:  # parameters that receive the target from a caller
        for g, c in facts.callers.get(qualname, []):
            tg = _memo(f"targets{depth + 1}", facts, g, lambda: _targets(facts, g, depth + 1))
            params = [p for p in fn.params if p not in ("self", "cls")]
            for i, reads in enumerate(c.arg_reads):
                if i < len(params) and reads & tg:
                    seeds.add(params[i])
            for kw, reads in c.kw_reads:
                if kw in fn.params and reads & tg:
                    seeds.add(kw)
    return frozenset(fl.forward(seeds))


def target_derived(facts: Facts, fn: Function) -> frozenset[str]:
    """Names in ``fn`` that may hold the realised target or a value computed from it."""
    return _memo("targets0", facts, fn, lambda: _targets(facts, fn, 0))


def reads_target(facts: Facts, fn: Function, node: cst.CSTNode) -> bool:
    if names_read(node) & target_derived(facts, fn):
        return True
    cur = current_position_reads(facts, fn)
    return bool(cur) and any(id(d) in cur for d in _descendants(node))


# ---------------------------------------------------------------------------------------- keys
def _constant_like(name: str) -> bool:
    last = name.rsplit(".", 1)[-1]
    return last.isupper() or bool(CONST_PART.search(last)) or name.startswith(("self.", "args.", "h.", "config.", "cfg."))


def _boolish(node: cst.CSTNode) -> bool:
    while isinstance(node, cst.BinaryOperation) and isinstance(node.operator, (cst.BitAnd, cst.BitOr)):
        node = node.left
    if isinstance(node, (cst.Comparison, cst.BooleanOperation)):
        return True
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, (cst.BitInvert, cst.Not)):
        return True
    name = dotted_name(node) or ""
    return bool(re.search(r"(mask|valid|matched|found|hit|has_\w+|is_\w+|ok|keep|eligible)$", name.rsplit(".", 1)[-1]))


def hash_mixes_target(facts: Facts, fn: Function, expr: cst.CSTNode) -> bool:
    """``expr`` hashes the target together with a context value (``ctx ^ (y * P) & mask``)."""
    targets = target_derived(facts, fn)
    for d in _descendants(expr):
        if not isinstance(d, cst.BinaryOperation) or not isinstance(d.operator, HASH_OPS):
            continue
        if isinstance(d.operator, (cst.BitAnd, cst.BitOr)) and (_boolish(d.left) or _boolish(d.right)):
            continue  # ``(~matched) & (pos >= n)`` combines masks, not hash values
        if reads_target(facts, fn, d):
            others = {n for n in names_read(d) - targets if not _constant_like(n)}
            others -= {n.split(".", 1)[0] for n in names_read(d) if "." in n}
            if others:
                return True
    return False


def _tkeys(facts: Facts, fn: Function) -> frozenset[str]:
    fl = flow(facts, fn)
    keys: set[str] = set()
    targets = target_derived(facts, fn)
    for e in fl.edges:
        value = getattr(e.node, "value", None)
        if value is None or isinstance(e.node, cst.Call):
            continue
        if hash_mixes_target(facts, fn, value):
            keys.update(e.targets)
        elif e.op in ("^=", "%=", "|=", "<<=") and not e.subscript_store and reads_target(facts, fn, value):
            # ``h ^= y * P`` where ``h`` also absorbs context elsewhere (``h ^= tokens[p - k] * P``)
            if any(o is not e and set(o.targets) & set(e.targets) and {n for n in o.reads - targets - set(o.targets)
                   if not _constant_like(n) and "." not in n} for o in fl.edges):
                keys.update(e.targets)
    # keys returned by helpers (``ck, fk = ngram_hash_keys(...)``): element-wise when a tuple is returned
    keys |= _call_results(facts, fn, lambda g, i: g is not fn and _returns_key(facts, g, i))

    def is_lookup(e: Edge) -> bool:  # ``c = T[key]`` holds a count, not a key
        value = getattr(e.node, "value", None)
        if value is None:
            return True  # a mutator call or a loop: a container of keys is not itself a key
        if not names_read(value) & keys:
            return False  # an element of a tuple unpack, or a key derived from a derived key: keep it
        return _only_inside_index(value, keys)

    return frozenset(fl.forward(keys, skip=is_lookup))


def _returns_key(facts: Facts, g: Function, index: int | None) -> bool:
    """The helper ``g`` returns a target-mixed key (as element ``index`` of a returned tuple, when given)."""
    if _return_reads(g, index) & target_keys(facts, g):
        return True
    for r in _returned(g):
        v = r.value
        if index is not None and isinstance(v, cst.Tuple):
            v = v.elements[index].value if index < len(v.elements) else None
        if v is not None and hash_mixes_target(facts, g, v):
            return True
    return False


def _only_inside_index(value: cst.CSTNode, names: set[str]) -> bool:
    """Every read of ``names`` in ``value`` sits inside a subscript index (a lookup, not a key)."""
    inside: set[int] = set()
    for d in _descendants(value):
        if isinstance(d, cst.Subscript):
            for el in d.slice:
                inside.update(id(x) for x in _descendants(el))
    for d in _descendants(value):
        if isinstance(d, (cst.Name, cst.Attribute)) and id(d) not in inside:
            dn = dotted_name(d)
            if dn in names:
                return False
    return True


_TKEY_GUARD: set[tuple[int, str]] = set()


def target_keys(facts: Facts, fn: Function) -> frozenset[str]:
    """Names holding table keys that hash the realised target with its context."""
    k = (id(facts), fn.qualname)
    if k in _TKEY_GUARD:  # recursion through helpers
        return frozenset()
    _TKEY_GUARD.add(k)
    try:
        return _memo("tkeys", facts, fn, lambda: _tkeys(facts, fn))
    finally:
        _TKEY_GUARD.discard(k)


@dataclass(frozen=True)
class KeyedRead:
    node: cst.CSTNode  # the Subscript (or gather call) that reads the table
    line: int
    base: str
    key: str  # source text of the key


def target_keyed_reads(facts: Facts, fn: Function) -> list[KeyedRead]:
    """Table reads (not writes) whose key hashes the realised target with its context."""
    keys = target_keys(facts, fn)
    fl = flow(facts, fn)
    stores = fl.store_nodes()
    out = []
    for s in fn.subscripts:
        if id(s.node) in stores:
            continue
        idx = s.node.slice
        key_nodes = [el.slice.value for el in idx if isinstance(el.slice, cst.Index)]
        hit = any(names_read(k) & keys and not _only_inside_index(k, set(keys)) for k in key_nodes) or any(
            hash_mixes_target(facts, fn, k) for k in key_nodes)
        if not hit:
            continue
        base = facts.code(s.node.value)
        e = fl.assignment_of(s.node)
        if e is not None and e.subscript_store and any(base.startswith(t) or t.startswith(base) for t in e.targets):
            continue  # ``T[k] = T[k] + 1``: a count update, not a scoring read
        out.append(KeyedRead(s.node, s.line, base, " ".join(facts.code(k) for k in key_nodes)))
    return out


# ---------------------------------------------------------------------------------------- loss sinks
def _has_call(node: cst.CSTNode | None, names: set[str]) -> bool:
    if node is None:
        return False
    for d in _descendants(node):
        if isinstance(d, cst.Call):
            func = dotted_name(d.func)
            last = (func or (d.func.attr.value if isinstance(d.func, cst.Attribute) else "")).rsplit(".", 1)[-1]
            if last in names:
                return True
    return False


def loss_sinks(facts: Facts, fn: Function) -> list[Edge]:
    """Accumulations of a log-loss: ``loss_sum += nll.sum()``, ``cl += (-np.log(p)).sum()``, ``mix_nll -= lp``."""
    return _memo("sinks", facts, fn, lambda: _loss_sinks(facts, fn))


def _loss_sinks(facts: Facts, fn: Function) -> list[Edge]:
    out = []
    for e in flow(facts, fn).edges:
        if e.op not in ("+=", "-=") or not isinstance(e.node, cst.AugAssign):
            continue
        name = e.targets[0].rsplit(".", 1)[-1] if e.targets else ""
        if ACC_NAME.search(name) and (LOSSY_NAME.search(name) or _has_call(e.node.value, LOG_CALLS)
                                      or any(LOSSY_NAME.search(r.rsplit(".", 1)[-1]) for r in e.reads)):
            out.append(e)
        elif _has_call(e.node.value, LOG_CALLS):
            out.append(e)
    return out


def reaches_loss(facts: Facts, fn: Function, names: Iterable[str], depth: int = 0, skip=None) -> Edge | None:
    """The loss accumulation that a value held in ``names`` flows into (here or in a caller), or None."""
    fl = flow(facts, fn)
    derived = fl.forward(names, skip=skip)
    for e in loss_sinks(facts, fn):
        if e.reads & derived:
            return e
    if depth >= 3 or not any(_return_reads(fn, None) & derived for _ in (0,)):
        return None
    for g, c in facts.callers.get(fn.qualname, []):
        if g is fn:
            continue
        gl = flow(facts, g)
        e = gl.assignment_of(c.node)
        if e is None:
            continue
        if e in loss_sinks(facts, g):
            return e
        picked = set(e.targets)
        tgt = e.node.targets[0].target if isinstance(e.node, cst.Assign) else None
        if isinstance(tgt, (cst.Tuple, cst.List)) and getattr(e.node, "value", None) is c.node:
            picked = {dotted_name(el.value) for i, el in enumerate(tgt.elements)
                      if _return_reads(fn, i) & derived} - {None}
        hit = reaches_loss(facts, g, picked, depth + 1)
        if hit is not None:
            return hit
    return None


def statement_targets(facts: Facts, fn: Function, node: cst.CSTNode) -> set[str]:
    e = flow(facts, fn).assignment_of(node)
    return set(e.targets) if e is not None else set()


# ---------------------------------------------------------------------------------------- per-token losses
def _lossy(facts: Facts, fn: Function) -> frozenset[str]:
    fl = flow(facts, fn)
    seeds = {p for p in fn.params if LOSSY_NAME.search(p)}
    for e in fl.edges:
        value = getattr(e.node, "value", None)
        if e.op is None and (any(LOSSY_NAME.search(t.rsplit(".", 1)[-1]) for t in e.targets) or _has_call(value, LOG_CALLS)):
            seeds.update(e.targets)
    seeds -= fl.accumulated
    # stop at accumulators: a running sum of past losses is not the current token's loss
    return frozenset(fl.forward(seeds, skip=lambda e: e.op is not None) - fl.accumulated)


def per_token_losses(facts: Facts, fn: Function) -> frozenset[str]:
    """Names holding per-token log-losses or log-probabilities (not running sums)."""
    return _memo("lossy", facts, fn, lambda: _lossy(facts, fn))


def realised_losses(facts: Facts, fn: Function) -> frozenset[str]:
    """Per-token losses of the realised target: per-token and target-derived."""
    return per_token_losses(facts, fn) & target_derived(facts, fn)


# ---------------------------------------------------------------------------------------- scoring calls
def is_scorer(facts, g) -> bool:
    """``g`` computes a scored loss of validation tokens (or of targets) and returns it."""
    return _memo("scorer", facts, g, lambda: _scorer(facts, g))


def _scorer(facts, g) -> bool:
    if g.node is None:
        return False
    if not (target_derived(facts, g) or facts.val_tainted(g)):
        return False  # a model block or helper that never sees targets or validation tokens
    if loss_sinks(facts, g):
        return True
    fl = flow(facts, g)
    logs = {t for e in fl.edges if _has_call(getattr(e.node, "value", None), LOG_CALLS) for t in e.targets}
    return bool(logs) and bool(_return_reads(g, None) & fl.forward(logs))


_REPORT_CALL = {"print", "log", "log0", "info", "write", "dump", "dumps", "print0"}
_REPORTED_TEXT = re.compile(r"val_bpb|val_loss|bpb", re.I)
_DIAGNOSTIC_TEXT = re.compile(r"diag|debug|sanity|pre[-_ ]?ttt|before[-_ ]ttt", re.I)


def report_of(facts: Facts, fn: Function, call) -> tuple[str | None, bool]:
    """(label, last) when the call's result is reported: returned, or printed/logged/dumped with a
    score label that is not a diagnostic; ``last`` when no later report in ``fn`` follows it."""
    label, last, _ = reported(facts, fn, flow(facts, fn).forward(statement_targets(facts, fn, call.node)), call.node)
    return label, last


def reported(facts: Facts, fn: Function, derived: set[str], node: cst.CSTNode | None = None):
    """(label, last, reporting call or None) when a value held in ``derived`` (or computed by
    ``node``) is reported by ``fn``: logged with a score label that is not a diagnostic, or returned."""
    reports = []
    for c in fn.calls:
        if c.name not in _REPORT_CALL:
            continue
        texts = list(_literal_texts(c.node))
        if not any(_REPORTED_TEXT.search(t) for t in texts):
            continue
        carries = bool(c.reads & derived) or (node is not None and any(d is node for d in _descendants(c.node)))
        reports.append((c, carries, texts))
    mine = [(c, t) for c, carries, t in reports if carries and not any(_DIAGNOSTIC_TEXT.search(x) for x in t)]
    if mine:
        c, texts = mine[-1]
        later = [r for r in reports if r[0].line > c.line and not r[1]]
        return f"logged at line {c.line}", not later, c
    if derived & _return_reads(fn, None):
        return f"returned by `{fn.name}`", True, None
    return None, False, None


def _literal_texts(node):
    for d in _descendants(node):
        if isinstance(d, (cst.SimpleString, cst.FormattedStringText)):
            yield d.value


def eval_functions(facts: Facts) -> list[Function]:
    """Functions on the evaluation path that read validation data or targets."""
    return [f for f in facts.iter_functions() if f.node is not None and (facts.on_eval_path(f) or loss_sinks(facts, f))]


def value_names(expr: cst.CSTNode) -> set[str]:
    """Names whose value ``expr`` carries: reads outside subscript indices (``c[mask]`` carries c, not mask)."""
    inside: set[int] = set()
    for d in _descendants(expr):
        if isinstance(d, cst.Subscript):
            for el in d.slice:
                inside.update(id(x) for x in _descendants(el))
    out = set()
    for d in _descendants(expr):
        if isinstance(d, (cst.Name, cst.Attribute)) and id(d) not in inside:
            dn = dotted_name(d)
            if dn:
                out.add(dn)
    return out


def is_stabiliser(facts: Facts, fn: Function, names: set[str]) -> bool:
    """Each name is only a log-sum-exp shift: used as ``exp(x - m)`` somewhere in ``fn``."""
    if not names or fn.node is None:
        return False
    text = facts.code(fn.node).replace(" ", "")
    return all(re.search(rf"exp\([^()]*-{re.escape(n)}\)", text) for n in names)


def is_logaddexp(facts: Facts, fn: Function, call: cst.Call) -> bool:
    """``max(a, b) + log1p(exp(-abs(a - b)))``: the max is a stabiliser, not a selection."""
    e = flow(facts, fn).assignment_of(call)
    text = facts.code(e.node) if e is not None else facts.code(call)
    return "exp(" in text and ("log1p(" in text or "log(" in text)


# ---------------------------------------------------------------------------------------- normalisation
def _has_hash_op(node: cst.CSTNode | None) -> bool:
    return node is not None and any(isinstance(d, cst.BinaryOperation) and isinstance(d.operator, (cst.BitXor, cst.Modulo, cst.LeftShift))
                                    for d in _descendants(node))


def hashed_counts(facts: Facts, fn: Function) -> tuple[set[str], set[str]]:
    """(hashed keys, counts read from tables through them) in ``fn``."""
    def compute():
        fl = flow(facts, fn)
        seeds = {t for e in fl.edges if e.op in ("^=", "%=", "<<=") or _has_hash_op(getattr(e.node, "value", None)) for t in e.targets}
        hashed = fl.forward(seeds)
        counts = set()
        for e in fl.edges:
            value = getattr(e.node, "value", None)
            if value is None:
                continue
            for d in _descendants(value):
                if isinstance(d, cst.Subscript) and any(names_read(el) & hashed or _has_hash_op(el) for el in d.slice):
                    counts.update(e.targets)
                    break
        return hashed, fl.forward(counts)
    return _memo("hashed", facts, fn, compute)


def row_sums(facts: Facts, fn: Function) -> set[str]:
    """Names derived from a normalisation over a row (``.sum(dim=1)``, ``logsumexp``, ``softmax``)."""
    fl = flow(facts, fn)
    return fl.forward({t for e in fl.edges if _has_call(getattr(e.node, "value", None), ROW_SUM) for t in e.targets})


def gold_counts(facts: Facts, fn: Function) -> set[str]:
    """Counts read at the realised target: ``pair_c.gather(1, y)``, ``row[:, y]`` of a hashed-count row."""
    _, counts = hashed_counts(facts, fn)
    targets = target_derived(facts, fn)
    fl = flow(facts, fn)
    gold = set()
    for e in fl.edges:
        value = getattr(e.node, "value", None)
        if value is None:
            continue
        for d in _descendants(value):
            if isinstance(d, cst.Call) and isinstance(d.func, cst.Attribute) and d.func.attr.value == "gather":
                if names_read(d.func.value) & counts and any(names_read(a.value) & targets for a in d.args[1:]):
                    gold.update(e.targets)
            elif isinstance(d, cst.Subscript) and names_read(d.value) & counts and any(names_read(el) & targets for el in d.slice):
                gold.update(e.targets)
    return fl.forward(gold)


# ---------------------------------------------------------------------------------------- across modules
def keyed_returners(facts: Facts) -> list[tuple[Function, KeyedRead]]:
    """Functions of ``facts`` that return a value read through a target-mixed key (the cache half of
    the n-gram bug, when the scoring half lives in another file of the submission)."""
    out = []
    for g in facts.iter_functions():
        if g.node is None:
            continue
        for read in target_keyed_reads(facts, g):
            held = flow(facts, g).forward(statement_targets(facts, g, read.node))
            if held & _return_reads(g, None) or any(read.node is d for r in _returned(g) for d in _descendants(r)):
                out.append((g, read))
                break
    return out


def cross_module_keyed_reads(all_facts: list[Facts]):
    """(cache facts, keyed read, caller facts, caller function, call, sink) where a sibling module's
    target-keyed lookup is called from another file with the realised target and its value reaches
    that file's scored loss (``from ngram_cache import Cache`` ... ``cache.prob(ctx, y[j])``)."""
    by_module: dict[str, list[tuple[Facts, Function, KeyedRead]]] = {}
    for facts in all_facts:
        stem = facts.path.rsplit("/", 1)[-1].removesuffix(".py")
        if facts.source.in_payload:
            continue
        for g, read in keyed_returners(facts):
            by_module.setdefault(stem, []).append((facts, g, read))
    if not by_module:
        return
    for facts in all_facts:
        imported = {name.split(".")[0].lstrip(".") for name, _ in facts.import_lines}
        for stem, entries in by_module.items():
            if stem not in imported or facts.path.rsplit("/", 1)[-1].removesuffix(".py") == stem:
                continue
            names = {g.name for _, g, _ in entries}
            for fn in facts.iter_functions():
                for c in fn.calls:
                    if c.name not in names or not any(reads_target(facts, fn, a.value) for a in c.node.args):
                        continue
                    sink = reaches_loss(facts, fn, statement_targets(facts, fn, c.node))
                    if sink is None:
                        continue
                    for cache_facts, g, read in entries:
                        if g.name == c.name:
                            yield cache_facts, read, facts, fn, c, sink
