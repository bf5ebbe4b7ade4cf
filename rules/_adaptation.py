"""Adaptation on validation data (GC2xx, GC901/902/909): where a gradient step on validation tokens
sits relative to the scoring of those tokens.

The one ordering fact the TTT rules ask: inside the loop that trains on validation-derived tokens,
is the scoring accumulation of those tokens before the optimizer step (score-first), after it
(score-after-update), or nowhere before it (unscored)? :func:`adaptations` answers it once per
source; GC201/GC202/GC203 and the notes GC901/GC902/GC909 read the answer.

How the order is decided, for one step (``opt.step()`` after a ``backward()`` whose loss reads
validation-derived names):

* Scoring events of the step's function are the reported-loss accumulations (``loss_sum += ...``
  whose sum is returned or paired with a byte count) and calls that pass such an accumulator into a
  scoring helper (``_accumulate_bpb(..., loss_sum, byte_sum, ...)``). A training-loss log
  (``epoch_loss_sum += loss``) or a whole diagnostic ``eval_val(...)`` is not one.
* The step and an event share loops. If one of the shared loops only repeats (an epoch loop whose
  variable never selects tokens), the event of epoch k+1 follows the step of epoch k on the same
  tokens: score-after-update. Otherwise the innermost shared loop is a chunk/document loop, and the
  order inside its body decides.
* A function with no scoring event is lifted: each call site of it is the step, in its caller. A
  chain that reaches the top with nothing scored is unscored; whether serialisation or quantisation
  follows tells pre-quant TTT (GC201) from adapt-then-evaluate (GC202).

Calibration on validation data (GC204) is the second question here: a calibration collector
(Hessians, AWQ scales, temperature) called with validation token data.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

import libcst as cst

from golfcheck import flow
from golfcheck.facts import CallSite, Facts, Function, Loop, names_read
from golfcheck.source import dotted_name


class Order(str, enum.Enum):
    SCORE_FIRST = "score-first"
    SCORE_AFTER = "score-after-update"
    UNSCORED = "unscored"


_NOT_OPTIMIZER = re.compile(r"sched|scheduler|lr_|swa|ema|warmdown|profiler|prof\b", re.I)
_WARMUP = re.compile(r"warm[\s_-]?up|warming", re.I)
_RESET = re.compile(r"reset", re.I)
_SERIALISE = re.compile(r"save|seriali[sz]|compress|quanti[sz]|gptq|export", re.I)
_NOT_SERIALISE = re.compile(r"dequant|decompress|load", re.I)
_BYTE_ACC = re.compile(r"byte", re.I)
_MAX_LIFT = 5


@dataclass(frozen=True)
class Site:
    """A point in a function: the step itself, or a call that leads to it."""

    function: Function
    line: int
    loops: tuple[int, ...]
    node: cst.CSTNode


@dataclass(frozen=True)
class Adaptation:
    """One gradient step on validation-derived tokens and where its tokens are scored."""

    facts: Facts
    function: Function  # the function holding the optimizer step
    step: CallSite
    order: Order
    decided: Site  # where the order was decided: the step, or the call site it was lifted to
    chain: tuple[Site, ...]  # the step, then each call site lifted through
    score_line: int | None = None
    repeat_loop: Loop | None = None  # the epoch loop that re-scores after updates (GC202)
    reset: bool = False  # a per-document adapter/optimizer reset in the chunk loop (GC909)
    warmup: bool = False  # a warmup/compile pass (GC203)
    serialise_line: int | None = None  # a quantisation/serialisation call after the adaptation

    @property
    def lifted(self) -> bool:
        return self.decided.function is not self.function

    @property
    def loop_line(self) -> int:
        """The outermost loop around the step in its own function (where rules report)."""
        loops = [self.function.loops[i] for i in self.step.ctx.loops if i in self.function.loops]
        return loops[0].line if loops else self.step.line

    def describe_chain(self) -> str:
        calls = [f"`{s.function.name}` line {s.line}" for s in self.chain[1:]]
        return ("; reached from " + " <- ".join(calls)) if calls else ""


@dataclass
class _Event:
    line: int
    loops: tuple[int, ...]


# --------------------------------------------------------------------------- taint


def val_names(facts: Facts, f: Function) -> frozenset[str]:
    """Names in ``f`` that may hold validation tokens (the dataflow layer's answer)."""
    return flow.names(facts, f, flow.VAL)


def reaches_val(facts: Facts, f: Function, names: set[str], line) -> bool:
    """Do ``names``, as defined where they are read at ``line``, derive from validation data?"""
    return flow.value_at(facts, f, names, line, flow.VAL)


# --------------------------------------------------------------------------- steps


def _receiver(call: CallSite) -> str | None:
    if call.func and "." in call.func:
        return call.func.rsplit(".", 1)[0]
    return None


def _fresh_tensors(f: Function) -> set[str]:
    """Names bound to new leaf tensors with ``requires_grad=True`` (SLOT deltas, GC105's business)."""
    out: set[str] = set()
    for a in f.assigns:
        v = a.value
        if isinstance(v, cst.Call) and (
                any(arg.keyword is not None and arg.keyword.value == "requires_grad" for arg in v.args)
                or (isinstance(v.func, cst.Attribute) and v.func.attr.value == "requires_grad_")):
            out.update(a.targets)
    for c in f.calls:
        if c.name == "requires_grad_" and c.func:
            out.add(c.func.rsplit(".", 1)[0])
    return out


def _optimises_fresh_tensors(facts: Facts, f: Function, opt: str) -> bool:
    """The optimizer's parameters are fresh tensors, directly or through a list built from them
    (``params = [delta]; params.append(bias); opt = AdamW(params)``)."""
    fresh = _fresh_tensors(f)
    if not fresh:
        return False
    fl = flow.function_flow(facts, f)
    holders = {t for e in fl.edges if e.reads and set(e.reads) <= fresh | {t2 for t2 in e.targets} for t in e.targets}
    for a in f.assigns:
        if opt in a.targets and isinstance(a.value, cst.Call) and a.value.args:
            first = a.value.args[0].value
            reads = _names(first)
            return bool(reads) and reads <= fresh | holders
    return False


def _names(node: cst.CSTNode) -> set[str]:
    return set(names_read(node))


def _val_steps(facts: Facts, f: Function) -> list[CallSite]:
    """Optimizer steps in ``f`` after a ``backward()`` whose loss derives from validation tokens.

    An optimizer over fresh ``requires_grad`` tensors (a SLOT delta) is left to GC105/GC106.
    """
    tainted = val_names(facts, f)
    if not tainted:
        return []
    backs = [c for c in f.calls if c.name == "backward" and c.reads & tainted
             and reaches_val(facts, f, set(c.reads), (c.line, c.col))]
    if not backs:
        return []
    steps = []
    for c in f.calls:
        recv = _receiver(c)
        if c.name != "step" or not recv or _NOT_OPTIMIZER.search(recv) or c.node.args:
            continue
        # the loss was backpropagated before the step, in the step's loop body or a loop inside it
        if not any(b.line <= c.line and b.ctx.loops[:len(c.ctx.loops)] == c.ctx.loops for b in backs):
            continue
        if _optimises_fresh_tensors(facts, f, recv):
            continue
        steps.append(c)
    return steps


# --------------------------------------------------------------------------- scoring events


def _derived(f: Function, seeds: set[str]) -> set[str]:
    return flow.derived(f, seeds)


def _score_accumulators(f: Function) -> list:
    """``+=`` of a reported loss: the sum is returned, or a byte count is accumulated beside it."""
    accs = f.accumulators
    if not accs:
        return []
    has_bytes = any(a.op == "+=" and any(_BYTE_ACC.search(t.rsplit(".", 1)[-1]) for t in a.targets)
                    for a in f.assigns)
    returned = set().union(*f.returns) if f.returns else set()
    out = []
    for a in accs:
        if has_bytes or _derived(f, set(a.targets)) & returned or set(a.targets) & set(f.params):
            out.append(a)
    return out


def _helper_accumulates_param(facts: Facts, g: Function) -> set[int]:
    """Positions of ``g``'s parameters that ``g`` accumulates a scored loss into."""
    params = [p for p in g.params if p not in ("self", "cls")]
    acc_targets = {t for a in g.accumulators for t in a.targets}
    return {i for i, p in enumerate(params) if p in acc_targets}


def _events(facts: Facts, f: Function) -> list[_Event]:
    accs = _score_accumulators(f)
    events = [_Event(a.line, a.ctx.loops) for a in accs]
    acc_names = {t for a in f.accumulators for t in a.targets} | {
        t for a in f.assigns for t in a.targets if re.search(r"loss_sum|nll_sum|loss_total|sum_loss", t)}
    for c in f.calls:
        if not (c.reads & acc_names):
            continue
        for g in facts.resolve_call(f, c):
            if g is f or not g.accumulators:
                continue
            positions = _helper_accumulates_param(facts, g)
            params = [p for p in g.params if p not in ("self", "cls")]
            hit = any(i in positions and reads & acc_names for i, reads in enumerate(c.arg_reads))
            hit = hit or any(kw in params and params.index(kw) in positions and reads & acc_names
                             for kw, reads in c.kw_reads)
            if hit:
                events.append(_Event(c.line, c.ctx.loops))
                break
    return events


# --------------------------------------------------------------------------- loops


def _is_repeat(f: Function, loop: Loop) -> bool:
    """A ``for _ in range(n)`` loop whose variable never selects tokens: it repeats the same data."""
    node = loop.node
    if loop.kind != "for" or not isinstance(node, cst.For):
        return False
    it = node.iter
    if not (isinstance(it, cst.Call) and dotted_name(it.func) == "range"):
        return False
    derived = flow.derived(f, set(loop.targets), within=loop, augmenting=True)
    for s in f.subscripts:
        if loop.id in s.ctx.loops and s.index_reads & derived:
            return False
    for c in f.calls:
        # a chunk index handed to a window helper (_compute_chunk_window(ci, ...)) selects tokens
        if loop.id in c.ctx.loops and c.func and "." not in c.func and any(r & derived for r in c.arg_reads):
            if c.name not in ("log", "log0", "print", "float", "int", "str", "min", "max", "range", "len"):
                return False
    return True


def _order(f: Function, site: Site, events: list[_Event]) -> tuple[Order, _Event | None, Loop | None] | None:
    """Order of ``site`` against the scoring events of its function; None when there are none.

    Events that share a loop with the site decide: a shared repeat (epoch) loop means a later pass
    scores what an earlier pass trained on; otherwise a score before the step in the shared chunk
    loop is score-first. Only when no event shares a loop do the function's other scores count:
    a score after the adaptation is adapt-then-evaluate, one before it scored everything first.
    """
    shared, unshared = [], []
    for ev in events:
        common = []
        for a, b in zip(site.loops, ev.loops):
            if a != b:
                break
            common.append(a)
        loops = [f.loops[i] for i in common if i in f.loops]
        (shared if loops else unshared).append((ev, loops))
    for ev, loops in shared:
        repeat = next((lp for lp in loops if _is_repeat(f, lp)), None)
        if repeat is not None:
            return Order.SCORE_AFTER, ev, repeat
    if shared:
        before = [ev for ev, _ in shared if ev.line < site.line]
        return (Order.SCORE_FIRST, before[0], None) if before else (Order.SCORE_AFTER, shared[0][0], None)
    after = [ev for ev, _ in unshared if ev.line > site.line]
    if after:
        return Order.SCORE_AFTER, after[0], None
    return (Order.SCORE_FIRST, unshared[0][0], None) if unshared else None


# --------------------------------------------------------------------------- the analysis


def _warmup(facts: Facts, f: Function, step: CallSite) -> bool:
    loops = [f.loops[i] for i in step.ctx.loops if i in f.loops]
    if _WARMUP.search(f.name):
        return True
    if not loops:
        return False
    outer = loops[0]
    if any(_WARMUP.search(n) for lp in loops for n in (*lp.targets, *lp.iter_reads)):
        return True
    lo, hi = outer.line - 10, outer.end_line
    if any(lo <= line <= hi and _WARMUP.search(s) for s, line in facts.strings):
        return True
    return any(lo <= a.line <= hi and any(_WARMUP.search(t) for t in a.targets) for a in f.assigns)


def _reset_in_loop(f: Function, site: Site) -> bool:
    loops = [f.loops[i] for i in site.loops if i in f.loops]
    if not loops:
        return False
    outer = loops[0]
    return any(outer.id in c.ctx.loops and c.line < site.line and _RESET.search(c.name or "") for c in f.calls)


def _serialise_after(facts: Facts, chain: list[Site]) -> int | None:
    for site in chain:
        for c in site.function.calls:
            name = facts.qualify(c.func) or c.name or ""
            if c.line > site.line and _SERIALISE.search(name) and not _NOT_SERIALISE.search(name):
                return c.line
    return None


def _lift(facts: Facts, chain: list[Site], depth: int, seen: set[str]):
    """Yield (order, decided site, event, repeat loop, chain) for every caller chain of ``chain[-1]``."""
    site = chain[-1]
    f = site.function
    got = _order(f, site, _events(facts, f))
    if got is not None:
        order, ev, repeat = got
        yield order, site, ev, repeat, chain
        return
    callers = [(g, c) for g, c in facts.callers.get(f.qualname, []) if g.qualname not in seen]
    if not callers or depth >= _MAX_LIFT or f.node is None:
        yield Order.UNSCORED, site, None, None, chain
        return
    for g, c in callers:
        yield from _lift(facts, chain + [Site(g, c.line, c.ctx.loops, c.node)], depth + 1, seen | {g.qualname})


_RANK = {Order.SCORE_FIRST: 0, Order.SCORE_AFTER: 1, Order.UNSCORED: 2}
def adaptations(facts: Facts) -> list[Adaptation]:
    """Every gradient step on validation-derived tokens in ``facts``, with its scoring order (kept on the facts)."""
    hit = facts.__dict__.get("_adaptations")
    if hit is not None:
        return hit
    out: list[Adaptation] = []
    for f in facts.iter_functions():
        for step in _val_steps(facts, f):
            start = Site(f, step.line, step.ctx.loops, step.node)
            results = list(_lift(facts, [start], 0, {f.qualname}))
            order, decided, ev, repeat, chain = max(results, key=lambda r: _RANK[r[0]])
            out.append(Adaptation(
                facts, f, step, order, decided, tuple(chain),
                score_line=ev.line if ev else None, repeat_loop=repeat,
                reset=order is Order.SCORE_FIRST and _reset_in_loop(decided.function, decided),
                warmup=_warmup(facts, f, step),
                serialise_line=_serialise_after(facts, chain) if order is Order.UNSCORED else None,
            ))
    facts.__dict__["_adaptations"] = out
    return out


def first_per_loop(items: list[Adaptation]) -> list[Adaptation]:
    """One adaptation per (function, outermost loop): a loop with several steps is one finding."""
    seen: set[tuple[str, int]] = set()
    out = []
    for a in items:
        key = (a.function.qualname, a.loop_line)
        if key not in seen:
            seen.add(key)
            out.append(a)
    return out


# --------------------------------------------------------------------------- calibration (GC204, GC903)

# Calibration collectors: GPTQ Hessians, AWQ/activation scales, logit temperature or calibration fits.
_CALIB = re.compile(r"hessian|calib|awq|act_?scale|input_scale|temperature|gptq", re.I)
_NOT_CALIB = re.compile(r"eval|score|log|print|dequant|^quantize_state|^mixed_quantize", re.I)
_HOOKS = {"register_forward_hook", "register_forward_pre_hook", "register_full_backward_hook"}
# attributes of a validation-data object that are not token data (tokenizer, byte tables)
_NOT_TOKENS = re.compile(r"^(sp|tokenizer|tok|vocab\w*|\w*lut\w*|luts|base_bytes\w*|has_leading\w*|is_boundary\w*|"
                         r"device|rank|world_size|seq_len|\w*_len|n_\w+|num_\w+)$")
_SCALAR_CALLS = {"len", "int", "float", "numel", "size", "item", "str", "bool", "min", "max"}
_SAMPLERS = {"multinomial", "argmax", "categorical", "sample"}


@dataclass(frozen=True)
class Calibration:
    """A calibration collector call and where its token data comes from."""

    facts: Facts
    function: Function
    call: CallSite
    source: str  # "val" | "self-generated"
    arg: str  # the argument's source text


def _is_scalar(node: cst.BaseExpression | None) -> bool:
    """``len(val_tokens)``, ``val_tokens.numel() // n``, ``int(...)``: a size, not token data."""
    if isinstance(node, cst.Call):
        return (dotted_name(node.func) or "").rsplit(".", 1)[-1] in _SCALAR_CALLS
    if isinstance(node, cst.BinaryOperation):
        return _is_scalar(node.left) or _is_scalar(node.right)
    return isinstance(node, (cst.Integer, cst.Float))


# tensor/list operations that keep token data token data (a call to anything else makes a new thing)
_KEEPS_TOKENS = {"to", "reshape", "view", "contiguous", "long", "int", "cuda", "cpu", "flatten", "cat", "stack",
                 "clone", "unsqueeze", "squeeze", "expand", "narrow", "split", "chunk", "tensor", "as_tensor",
                 "from_numpy", "index_select", "unfold", "list", "tuple", "sorted", "asarray", "array", "numpy",
                 "pin_memory", "detach", "roll", "tolist", "type"}


def _token_expr(facts: Facts, f: Function, node: cst.BaseExpression | None, line, depth: int = 0) -> bool:
    """Is ``node`` validation token data: a val-token name, or slices, casts, concatenations and
    comprehensions of one (not a model returned by ``train_model(h, val_data)``, not a size)?"""
    if node is None or depth > 10:
        return False
    if isinstance(node, (cst.Name, cst.Attribute)):
        name = dotted_name(node) or ""
        pos = line if isinstance(line, tuple) else (line, 10**6)
        if flow.from_source(facts, f, name, pos, flow.VAL):
            return True
        if isinstance(node, cst.Attribute):
            return False
        last = flow.definition(facts, f, name, pos)
        if last is None:
            return False
        if last.kind == "loop":
            return isinstance(last.node, cst.For) and _token_expr(facts, f, last.node.iter, last.pos, depth + 1)
        value = getattr(last.node, "value", None)
        if value is None or isinstance(value, cst.Tuple) or len(last.targets) > 1 or last.kind == "unpack":
            return False
        return _token_expr(facts, f, value, last.pos, depth + 1)
    if isinstance(node, cst.Subscript):
        return _token_expr(facts, f, node.value, line, depth + 1)
    if isinstance(node, cst.Call):
        func = dotted_name(node.func) or ""
        name = func.rsplit(".", 1)[-1] if func else (node.func.attr.value if isinstance(node.func, cst.Attribute) else "")
        if name not in _KEEPS_TOKENS:
            return _returns_token_param(facts, f, node, line, depth)
        if isinstance(node.func, cst.Attribute) and _token_expr(facts, f, node.func.value, line, depth + 1):
            return True
        return any(_token_expr(facts, f, a.value, line, depth + 1) for a in node.args if a.keyword is None)
    if isinstance(node, (cst.ListComp, cst.GeneratorExp)):
        return _token_expr(facts, f, node.elt, line, depth + 1) or _token_expr(facts, f, node.for_in.iter, line, depth + 1)
    if isinstance(node, (cst.List, cst.Tuple)):
        return any(_token_expr(facts, f, el.value, line, depth + 1) for el in node.elements)
    return False


def _returns_token_param(facts: Facts, f: Function, node: cst.Call, line, depth: int) -> bool:
    """A local helper handed val tokens that returns (slices of) them: ``tail_sequences(val_tokens, ...)``."""
    call = next((c for c in f.calls if c.node is node), None)
    if call is None:
        return False
    for g in facts.resolve_call(f, call):
        params = [p for p in g.params if p not in ("self", "cls")]
        returned = set().union(*g.returns) if g.returns else set()
        for i, arg in enumerate(a for a in node.args if a.keyword is None):
            if i < len(params) and _token_expr(facts, f, arg.value, line, depth + 1):
                if _derived(g, {params[i]}) & returned or params[i] in returned:
                    return True
    return False


def _token_arg(facts: Facts, f: Function, call: CallSite, node: cst.BaseExpression, tainted: set[str]) -> bool:
    """Does this argument expression carry validation token data (not a tokenizer field or a size)?"""
    if not (_names(node) & tainted) or _is_scalar(node):
        return False
    if isinstance(node, cst.Attribute) and (_NOT_TOKENS.match(node.attr.value) or node.attr.value in _SCALAR_CALLS):
        return False
    return _token_expr(facts, f, node, (call.line, call.col))


def _is_collector(facts: Facts, f: Function, c: CallSite) -> bool:
    targets = facts.resolve_call(f, c)
    if any(_is_sampler(g) for g in targets):
        return False
    if c.name and _CALIB.search(c.name) and not _NOT_CALIB.search(c.name):
        return True
    return any(any(k.name in _HOOKS for k in g.calls) and not _NOT_CALIB.search(g.name) for g in targets)


def _is_sampler(g: Function) -> bool:
    """A local generator that samples tokens from the model (AR self-generated calibration)."""
    return any(c.name in _SAMPLERS and c.ctx.loops for c in g.calls)


def calibrations(facts: Facts) -> list[Calibration]:
    """Calibration collectors fed validation tokens, and collectors fed model-sampled tokens."""
    out: list[Calibration] = []
    for f in facts.iter_functions():
        tainted = val_names(facts, f)
        sampled = set()
        for a in f.assigns:
            if isinstance(a.value, cst.Call):
                fake = next((c for c in f.calls if c.node is a.value), None)
                if fake and any(_is_sampler(g) for g in facts.resolve_call(f, fake)):
                    sampled.update(a.targets)
        sampled = _derived(f, sampled)
        flagged_outputs: set[str] = set()
        for c in sorted(f.calls, key=lambda c: (c.line, c.col)):
            if not _is_collector(facts, f, c):
                continue
            args = [a.value for a in c.node.args]
            # a collector fed the output of one already reported (Hessians -> quantiser) is the same flow
            val_args = [a for a in args if _token_arg(facts, f, c, a, tainted) and not (_names(a) & tainted) <= flagged_outputs]
            if val_args:
                out.append(Calibration(facts, f, c, "val", facts.code(val_args[0])))
                flagged_outputs |= _outputs(f, c)
                continue
            gen_args = [a for a in args if _names(a) & sampled and not (_names(a) & sampled) <= flagged_outputs]
            if gen_args:
                out.append(Calibration(facts, f, c, "self-generated", facts.code(gen_args[0])))
                flagged_outputs |= _outputs(f, c)
    return out


def _outputs(f: Function, c: CallSite) -> set[str]:
    """Names derived from the result of call ``c`` (so a downstream collector is not reported twice)."""
    direct = {t for a in f.assigns if a.value is not None and a.line == c.line for t in a.targets}
    return _derived(f, direct)
