"""Shared shape finders for the eval-time rules: SLOT (GC105/GC106), realised-token n-gram gates
(GC108), byte-level PPM mixers (GC109), previous-token mixing (GC110) and the legal patterns
GC906-GC908.

Each finder is a small pure function of one :class:`~golfcheck.facts.Facts` (and, where the shape
is decided by settings, the run configuration). Rules turn the shapes into findings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator

import libcst as cst

from golfcheck.facts import Assignment, CallSite, Facts, Function, find, names_read
from golfcheck.source import dotted_name

OPTIMIZERS = {"Adam", "AdamW", "SGD", "LBFGS", "RMSprop", "Adagrad", "Adamax", "NAdam", "RAdam"}


# ------------------------------------------------------------------------------ small helpers
def code(facts: Facts, node: cst.CSTNode | None) -> str:
    """Source text of ``node`` with whitespace removed (for comparing slice bounds)."""
    return re.sub(r"\s+", "", facts.code(node)) if node is not None else ""


def region(facts: Facts, f: Function) -> list[Function]:
    """``f`` and the functions nested in it (closures such as an LBFGS ``_closure``)."""
    return [f] + [g for g in facts.functions.values() if g.qualname.startswith(f.qualname + ".")]


def slice_bounds(sub: cst.Subscript) -> tuple[cst.BaseExpression | None, cst.BaseExpression | None] | None:
    """(lower, upper) of the last sliced element of ``a[i, lo:hi]``; None if nothing is sliced."""
    for el in reversed(sub.slice):
        if isinstance(el.slice, cst.Slice):
            return el.slice.lower, el.slice.upper
    return None


def subscripts_in(node: cst.CSTNode | None) -> list[cst.Subscript]:
    return find(node, cst.Subscript)


def _store_subscript(a: Assignment) -> cst.Subscript | None:
    node = a.node
    if isinstance(node, cst.Assign):
        for t in node.targets:
            if isinstance(t.target, cst.Subscript):
                return t.target
    if isinstance(node, (cst.AugAssign, cst.AnnAssign)) and isinstance(node.target, cst.Subscript):
        return node.target
    return None


def _is_true(facts: Facts, node: cst.BaseExpression) -> bool:
    """``True``, or a module constant bound to ``True`` (minified code: ``_B=True``)."""
    if isinstance(node, cst.Name) and node.value in facts.consts:
        node = facts.consts[node.value]
    return isinstance(node, cst.Name) and node.value == "True"


def scoring_sums(f: Function) -> list[Assignment]:
    """``loss_sum += ...`` and looser spellings (``sl_loss += nll[i, s:wl].sum()``)."""
    return [a for a in f.assigns if a.op == "+=" and (a in f.accumulators or any(re.search(r"loss|nll", t.rsplit(".", 1)[-1], re.I) for t in a.targets))]


def _is_constant(node: cst.BaseExpression | None) -> bool:
    """``1``, ``1.0``, ``True``: what a position mask is filled with."""
    return isinstance(node, (cst.Integer, cst.Float)) or (isinstance(node, cst.Name) and node.value in ("True", "False"))


def _receiver(call: CallSite) -> str | None:
    if call.func and "." in call.func:
        return call.func.rsplit(".", 1)[0]
    return None


def _last_assign(fs: list[Function], name: str, before: int) -> Assignment | None:
    best = None
    for g in fs:
        for a in g.assigns:
            if name in a.targets and a.line <= before and not a.subscript_store and (best is None or a.line > best.line):
                best = a
    return best


def _closure_reads(fs: list[Function], start: Assignment, depth: int = 3) -> tuple[set[str], list[Assignment]]:
    """Names read by ``start``'s value and, ``depth`` assignments back, by the values it reads."""
    seen: set[str] = set()
    chain = [start]
    todo = set(start.reads)
    for _ in range(depth):
        nxt: set[str] = set()
        for n in todo - seen:
            seen.add(n)
            a = _last_assign(fs, n, start.line)
            if a is not None and a not in chain:
                chain.append(a)
                nxt |= a.reads
        todo = nxt
    return seen | todo, chain


# ------------------------------------------------------------------------------ SLOT (GC105/GC106)
@dataclass(frozen=True)
class SlotSite:
    """One eval-time optimisation of a fresh ``requires_grad`` tensor, classified by the positions
    its loss covers relative to the slice scored afterwards.

    ``kind``: ``scored`` (mask covers the scored slice), ``whole`` (unmasked whole-window loss),
    ``context`` (mask ends where the scored slice starts), ``shared`` (context-only, but one delta
    fitted on a whole batch of overlapping windows), ``unknown``.
    """

    function: Function
    params: tuple[str, ...]
    guards: tuple  # the if-tests around the delta's creation
    kind: str
    at: int  # line to report
    mask: str  # the mask store / loss expression, as written
    scored: str  # the scored slice, as written
    detail: str = ""


def _grad_tensors(facts: Facts, f: Function) -> dict[str, int]:
    out: dict[str, int] = {}
    for a in f.assigns:
        v = a.value
        if isinstance(v, cst.Call) and any(arg.keyword is not None and arg.keyword.value == "requires_grad" and _is_true(facts, arg.value) for arg in v.args):
            for t in a.targets:
                out.setdefault(t, a.line)
    for c in f.calls:
        if c.name == "requires_grad_" and _receiver(c):
            out.setdefault(_receiver(c), c.line)
    return out


def _scored_slice(facts: Facts, f: Function, after: int) -> tuple[str, str, int] | None:
    """(lower, upper, line) of the slice that the scoring accumulator (``loss_sum += nll[i, s:wlen]``) takes."""
    fs = [f]
    for acc in scoring_sums(f):
        if acc.line < after:
            continue
        nodes = [acc.value]
        for n in acc.reads:
            a = _last_assign(fs, n, acc.line)
            if a is not None and a.line >= after:
                nodes.append(a.value)
        for node in nodes:
            for sub in subscripts_in(node):
                b = slice_bounds(sub)
                if b and b[1] is not None:
                    return code(facts, b[0]), code(facts, b[1]), acc.line
    return None


def _mask_slices(facts: Facts, fs: list[Function], names: set[str]) -> list[tuple[str, str, Assignment]]:
    """Slice stores ``mask[i, lo:hi] = ...`` into any of ``names``."""
    out = []
    for g in fs:
        for a in g.assigns:
            if a.subscript_store and set(a.targets) & names and _is_constant(a.value):
                sub = _store_subscript(a)
                b = slice_bounds(sub) if sub is not None else None
                if b is not None:
                    out.append((code(facts, b[0]), code(facts, b[1]), a))
    return out


def _classify(lo: str, hi: str, scored: tuple[str, str, int] | None) -> tuple[str, str]:
    if scored is None:
        return ("unknown", "no scored slice found to compare with")
    s_lo, s_hi, _ = scored
    if hi and hi == s_lo:
        return ("context", f"mask ends at `{hi}`, where the scored slice `[{s_lo}:{s_hi}]` starts")
    if not hi or hi == s_hi or (lo and lo == s_lo):
        return ("scored", f"mask `[{lo}:{hi}]` covers the scored slice `[{s_lo}:{s_hi}]`")
    if re.fullmatch(r"-\d+", hi):
        return ("scored", f"the loss slice `[{lo}:{hi}]` runs to the window end, over the scored slice `[{s_lo}:{s_hi}]`")
    if s_lo and re.fullmatch(re.escape(s_lo) + r"\+\d+|\d+\+" + re.escape(s_lo), hi):
        return ("scored", f"mask ends at `{hi}`, past the scored slice start `{s_lo}` (off by one: position `{s_lo}` is scored)")
    return ("unknown", f"mask `[{lo}:{hi}]` vs scored slice `[{s_lo}:{s_hi}]`")


def _stride_before(fs: list[Function], hi: cst.BaseExpression | None, scored, line: int) -> bool:
    """The slice end and the scored start are both ``... - stride`` (``ctx_end = seq_len - stride``)."""
    def expand(names: frozenset[str]) -> set[str]:
        out = set(names)
        for n in names:
            a = _last_assign(fs, n, line)
            if a is not None:
                out |= a.reads
        return out

    s_lo = _last_assign(fs, scored[0], scored[2]) if scored and scored[0] else None
    hi_reads = expand(names_read(hi))
    lo_reads = expand(s_lo.reads) if s_lo is not None else set()
    stride = re.compile(r"stride", re.I)
    return any(stride.search(n) for n in hi_reads) and any(stride.search(n) for n in lo_reads) and scored[1] not in hi_reads


def _shared_delta(f: Function, params: dict[str, int]) -> str | None:
    """The optimised tensor has one row for the whole batch of windows (``torch.zeros(1, 1, d)``) while
    the windows are scored row by row: return its name."""
    for name, line in params.items():
        a = next((a for a in f.assigns if name in a.targets and a.line == line and isinstance(a.value, cst.Call)), None)
        if a is None:
            continue
        dims = [arg.value for arg in a.value.args if arg.keyword is None]
        if len(dims) >= 2 and isinstance(dims[0], cst.Integer) and dims[0].value == "1":
            return name
    return None


def _shared(f, params: dict[str, int], backward, kind: str, detail: str, creator: Function | None = None) -> tuple[str, str]:
    """A context-only delta shared by a batch of overlapping windows is reclassified ``shared``.
    ``creator``: the helper that creates the delta when ``f`` (the scoring function) calls it."""
    shared = _shared_delta(creator or f, params) if kind == "context" else None
    created = params[shared] if shared and creator is None else (backward.line if shared else 0)
    if shared and _scores_rows(f, created, backward.line):
        return "shared", (
            f"`{shared}` is one tensor for the whole batch of windows, fitted on every window's context; with "
            f"overlapping windows a window's context holds the tokens an earlier window of the same batch "
            f"scores, so that window is scored with a delta fitted partly on its own scored tokens")
    return kind, detail


def _scores_rows(f: Function, created: int, after: int) -> bool:
    """The scoring accumulations after ``after`` run in a loop that starts after the delta was
    created at line ``created``: a loop over the windows of one batch, all scored with that delta."""
    return any(acc.line > after and any(f.loops[i].line > created for i in acc.ctx.loops if i in f.loops)
               for acc in scoring_sums(f))


def _helper_slot_sites(facts: Facts) -> list[SlotSite]:
    """SLOT in a helper: the helper optimises a fresh tensor on a loss masked by a tensor its caller
    builds (``scored_mask[i, s:wlen] = True``) and hands in; the caller then scores the windows."""
    out: list[SlotSite] = []
    for h in facts.functions.values():
        if h.node is None or scoring_sums(h):
            continue
        params = _grad_tensors(facts, h)
        if not params or not any(c.name == "backward" for g in region(facts, h) for c in g.calls):
            continue
        if not any((facts.qualify(dotted_name(a.value.func)) or "").rsplit(".", 1)[-1] in OPTIMIZERS
                   for a in h.assigns if isinstance(a.value, cst.Call)):
            continue
        for g, call in facts.callers.get(h.qualname, []):
            if not scoring_sums(g):
                continue
            scored = _scored_slice(facts, g, call.line)
            handed = frozenset().union(*call.arg_reads, *(r for _, r in call.kw_reads))
            masks = [m for m in _mask_slices(facts, [g], set(handed)) if m[2].line < call.line]
            if not masks or scored is None:
                continue
            lo, hi, store = masks[-1]
            kind, detail = _classify(lo, hi, scored)
            kind, detail = _shared(g, params, call, kind, detail, h)
            detail += f"; the optimisation runs in `{h.name}` (line {h.line}), called at line {call.line}"
            out.append(SlotSite(g, tuple(sorted(params)), call.ctx.guards, kind, store.line,
                                facts.code(store.node).strip(), f"[{scored[0]}:{scored[1]}]", detail))
    return out


def slot_sites(facts: Facts) -> list[SlotSite]:
    """Eval-time optimisation of a fresh tensor (delta / logit bias) before the window is scored."""
    out: list[SlotSite] = _helper_slot_sites(facts)
    for f in facts.functions.values():
        if f.node is None or not scoring_sums(f):
            continue
        params = _grad_tensors(facts, f)
        if not params:
            continue
        fs = region(facts, f)
        opts = [(a, a.value) for a in f.assigns if isinstance(a.value, cst.Call)
                and ((facts.qualify(dotted_name(a.value.func)) or "").rsplit(".", 1)[-1] in OPTIMIZERS)
                and a.value.args and names_read(a.value.args[0].value) & set(params)]
        if not opts:
            continue
        opt_line = min(a.line for a, _ in opts)
        backwards = [(g, c) for g in fs for c in g.calls if c.name == "backward" and c.line > opt_line]
        if not backwards:
            continue
        g, bw = backwards[0]
        scored = _scored_slice(facts, f, bw.line)
        if scored is None:
            continue
        loss_name = _receiver(bw)
        loss = _last_assign([g], loss_name, bw.line) if loss_name else None
        reads, chain = _closure_reads(fs, loss) if loss is not None else (set(bw.reads), [])
        grad_names = tuple(sorted(params))
        guards = next((a.ctx.guards for a in f.assigns if a.line == min(params.values())), ())
        masks = _mask_slices(facts, [f] + fs[1:], reads)
        if masks:
            lo, hi, store = masks[0]
            kind, detail = _classify(lo, hi, scored)
            kind, detail = _shared(f, params, bw, kind, detail)
            out.append(SlotSite(f, grad_names, guards, kind, store.line, facts.code(store.node).strip(), f"[{scored[0]}:{scored[1]}]", detail))
            continue
        inline = [b for a in chain if a.line >= opt_line for sub in subscripts_in(a.value) if (b := slice_bounds(sub)) is not None]
        at = loss.line if loss is not None else bw.line
        text = facts.code(loss.node).strip() if loss is not None and loss.node is not None else facts.code(bw.node)
        if inline:
            lo, hi = code(facts, inline[0][0]), code(facts, inline[0][1])
            kind, detail = _classify(lo, hi, scored)
            if kind == "unknown" and _stride_before(fs, inline[0][1], scored, at):
                kind, detail = "context", (f"the loss slice ends at `{hi}`, a stride before the window end, where the "
                                           f"scored slice `[{scored[0]}:{scored[1]}]` starts; check the shorter last window")
            kind, detail = _shared(f, params, bw, kind, detail)
        elif any(re.search(r"mask|weight", n, re.I) for n in reads):
            kind, detail = "unknown", "the loss is weighted by a mask golfcheck could not place"
        else:
            kind, detail = "whole", "the loss covers the whole window with no mask"
        out.append(SlotSite(f, grad_names, guards, kind, at, text, f"[{scored[0]}:{scored[1]}]", detail))
    return out


# ------------------------------------------------------------------------------ previous-token mixing (GC110/GC906)
IDS_NAME = re.compile(r"(^|_)(input_)?(ids|idx|tokens?|toks?)$", re.I)
BOS_NAME = re.compile(r"bos|doc_start|not_first", re.I)
DOC_ISOLATION = re.compile(r"cu_seqlens|varlen|doc_starts?$|doc_bounds|document_ids|doc_ids", re.I)


@dataclass(frozen=True)
class Smear:
    """A previous-token mix ``cat([x[:, :1], x[:, 1:] + g * x[:, :-1]], 1)`` (or ``F.pad(x[:, :-1], ...)``) in ``function``."""

    function: Function
    node: cst.Call
    line: int
    masked: bool  # the mixed term or its gate compares input ids with BOS (or reads a BOS mask)
    call: CallSite | None = None


def _slice_is(sub: cst.Subscript, lower: str | None, upper: str | None, facts: Facts) -> bool:
    b = slice_bounds(sub)
    if b is None or len(sub.slice) < 2:
        return False
    return (code(facts, b[0]) or None) == lower and (code(facts, b[1]) or None) == upper


def _prev_shift(facts: Facts, call: cst.Call) -> bool:
    """``cat([x[:, :1] | zeros, ... x[:, :-1] ...], dim=1)`` on a hidden tensor (not token ids: that is BigramHash)."""
    if not call.args or not isinstance(call.args[0].value, (cst.List, cst.Tuple)):
        return False
    elements = [e.value for e in call.args[0].value.elements]
    if len(elements) < 2:
        return False
    first = elements[0]
    head_ok = any(_slice_is(s, None, "1", facts) for s in subscripts_in(first)) or "zeros" in facts.code(first)
    shifted = [s for e in elements[1:] for s in subscripts_in(e) if _slice_is(s, None, "-1", facts)]
    if not head_ok or not shifted:
        return False
    text = facts.code(call)
    if "^" in text or "%" in text:  # hashed id pairs: BigramHash
        return False
    return not any(IDS_NAME.search(dotted_name(s.value) or "") for s in shifted)


def _pad_shift(facts: Facts, call: cst.Call) -> bool:
    """``F.pad(x[:, :-1], (0, 0, 1, 0))``: the previous position's hidden state, zero-padded at the front."""
    if not call.args:
        return False
    first = call.args[0].value
    return (isinstance(first, cst.Subscript) and _slice_is(first, None, "-1", facts)
            and not IDS_NAME.search(dotted_name(first.value) or ""))


def _compares_ids(node: cst.CSTNode | None) -> bool:
    """``input_ids[:, 1:] != BOS_ID`` / ``ids == 1``: a comparison on token ids or a BOS name."""
    for n in find(node, cst.Comparison):
        for part in (n.left, *(c.comparator for c in n.comparisons)):
            for s in subscripts_in(part) + ([part] if isinstance(part, cst.Name) else []):
                base = dotted_name(s.value) if isinstance(s, cst.Subscript) else s.value
                if base and (IDS_NAME.search(base) or BOS_NAME.search(base)):
                    return True
    return False


def _masked(facts: Facts, f: Function, call: CallSite) -> bool:
    """The mixed term (or its gate, a few assignments back) is masked at BOS."""
    if _compares_ids(call.node) or any(BOS_NAME.search(n) for n in call.reads):
        return True
    start = Assignment((), call.node, call.reads, call.line, call.col, call.ctx)
    reads, chain = _closure_reads([f], start)
    return any(BOS_NAME.search(n) for n in reads) or any(_compares_ids(a.value) for a in chain[1:])


def smear_sites(facts: Facts) -> list[Smear]:
    """Previous-token mixing sites, each with whether it masks the BOS position."""
    out = []
    for f in facts.functions.values():
        for c in f.calls:
            if (c.name in ("cat", "concat", "concatenate") and _prev_shift(facts, c.node)) or (c.name == "pad" and _pad_shift(facts, c.node)):
                out.append(Smear(f, c.node, c.line, _masked(facts, f, c), c))
    return out


def isolates_documents(facts: Facts) -> str | None:
    """A name showing that attention or eval keeps documents apart (``cu_seqlens``, varlen attention)."""
    hits = set()
    for f in facts.functions.values():
        for n in (*f.params, *(n for c in f.calls for n in c.reads), *(c.func or "" for c in f.calls)):
            last = n.rsplit(".", 1)[-1]
            if DOC_ISOLATION.search(last) or "varlen" in n:
                hits.add(last)
    return min(hits, key=lambda n: ("cu_seqlens" not in n, "varlen" not in n, n)) if hits else None


# ------------------------------------------------------------------------------ realised-token n-gram experts (GC108)
EXPERT = re.compile(r"^(?:ngram_)?(within|word|agree)_?(?:add_)?(beta|boost|bonus|tau|threshold)$", re.I)


@dataclass(frozen=True)
class ExpertSetting:
    expert: str  # within | word | agree
    role: str  # strength | gate
    setting: object  # golfcheck.runconfig.Setting


def expert_settings(config) -> list[ExpertSetting]:
    """Settings of the within-word, word-start and agreement experts (PR #1420/#1967 kernels)."""
    out, seen = [], set()
    for s in config.settings.values():
        if id(s) in seen:
            continue
        seen.add(id(s))
        m = EXPERT.match(s.key)
        if m:
            role = "gate" if m.group(2).lower() in ("tau", "threshold") else "strength"
            out.append(ExpertSetting(m.group(1).lower(), role, s))
    return out


def _number(value) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def enabled_experts(config, value=None) -> tuple[list[str], list[ExpertSetting]]:
    """Experts that read the realised token and are switched on in the effective run configuration.

    An expert is on when its strength (beta/boost) is non-zero and its probability gate (tau/threshold),
    if any, can be met (<= 1). The agreement bonus only matters when another realised-token expert is on.
    ``value(setting)`` overrides where a value is read from (one log's echoes).
    """
    found = expert_settings(config)
    get = value or (lambda s: s.value)
    on: list[str] = []
    for expert in ("within", "word"):
        strength = [e for e in found if e.expert == expert and e.role == "strength"]
        gates = [e for e in found if e.expert == expert and e.role == "gate"]
        if not strength:
            continue
        if all((_number(get(e.setting)) or 0.0) == 0.0 for e in strength):
            continue
        if gates and all((_number(get(g.setting)) or 0.0) > 1.0 for g in gates):
            continue
        on.append(expert)
    if on and any((_number(get(e.setting)) or 0.0) != 0.0 for e in found if e.expert == "agree"):
        on.append("agree")
    return on, found


def experts_by_log(ctx) -> dict[str, list[str]]:
    """For each log that echoes expert settings: the realised-token experts that run was using."""
    from golfcheck.runconfig import log_echoes, parse_scalar

    found = expert_settings(ctx.config)
    out: dict[str, list[str]] = {}
    for rel, text in ctx.logs:
        echoes = log_echoes(text)
        vals = {}
        for e in found:
            for key in (e.setting.key, (e.setting.env or "").lower()):
                if key and key in echoes:
                    vals[id(e.setting)] = parse_scalar(echoes[key])
        if vals:
            out[rel] = enabled_experts(ctx.config, lambda s, v=vals: v.get(id(s), s.value))[0]
    return out


def setting_reads(facts: Facts, key: str) -> list[int]:
    """Lines outside a settings class that read ``<anything>.key`` (``h.within_boost``)."""
    lines = []
    for f in facts.functions.values():
        if f.class_name == "Hyperparameters":
            continue
        for c in f.calls:
            if any(n.rsplit(".", 1)[-1] == key and "." in n for n in c.reads):
                lines.append(c.line)
    return sorted(lines)


@dataclass(frozen=True)
class GateSite:
    """``hint[i] = ...`` written under a test on ``lut[tok]`` where ``tok`` is the token at ``i``."""

    function: Function
    line: int
    index: str
    token: str
    gate: str


def _index_name(sub: cst.Subscript) -> str | None:
    """``i`` for ``a[i]`` / ``int(a[i])``-style single-name indexes."""
    if len(sub.slice) == 1 and isinstance(sub.slice[0].slice, cst.Index) and isinstance(sub.slice[0].slice.value, cst.Name):
        return sub.slice[0].slice.value.value
    return None


LUT_NAME = re.compile(r"lut|bound|bnd|word|space|_ws|is_|starts|punct|whitespace", re.I)
TOKEN_STREAM = re.compile(r"tok|ids|chunk|stream|seq", re.I)


def _lut_reads(node: cst.CSTNode | None, tokens: set[str]) -> list[str]:
    """``lut[tok]`` subscripts in ``node``: a per-vocabulary property table indexed by a realised-token name."""
    return [d for s in subscripts_in(node) if _index_name(s) in tokens and (d := dotted_name(s.value) or "") and LUT_NAME.search(d.rsplit(".", 1)[-1])]


def realised_gate_sites(facts: Facts) -> list[GateSite]:
    """Position-indexed hint stores guarded by a property of the realised token at that position."""
    out = []
    for f in facts.functions.values():
        for loop in f.loops.values():
            if loop.kind != "for" or not isinstance(loop.node, cst.For):
                continue
            target, it = loop.node.target, loop.node.iter
            index, tokens = None, set()
            if isinstance(it, cst.Call) and dotted_name(it.func) == "enumerate" and isinstance(target, cst.Tuple) and len(target.elements) == 2:
                a, b = (e.value for e in target.elements)
                if isinstance(a, cst.Name) and isinstance(b, cst.Name) and any(TOKEN_STREAM.search(n) for n in names_read(it)):
                    index, tokens = a.value, {b.value}
            elif isinstance(it, cst.Call) and dotted_name(it.func) == "range" and isinstance(target, cst.Name):
                index = target.value
            if index is None:
                continue
            inside = [a for a in f.assigns if loop.id in a.ctx.loops]
            gates: dict[str, str] = {}
            for _ in range(3):
                for a in inside:
                    if a.subscript_store:
                        continue
                    subs = subscripts_in(a.value)
                    if any(_index_name(s) == index and TOKEN_STREAM.search(dotted_name(s.value) or "") for s in subs) and not gates.keys() & set(a.targets):
                        if not _lut_reads(a.value, tokens) and len(a.targets) == 1 and not any(s for s in subs if _index_name(s) != index):
                            tokens.update(a.targets)  # tok = tokens[i]
                            continue
                    if a.reads & tokens and not subs and len(a.targets) == 1 and isinstance(a.value, cst.Call):
                        tokens.update(a.targets)  # tok = int(tok_u16)
                        continue
                    luts = _lut_reads(a.value, tokens)
                    if luts or a.reads & gates.keys():
                        for t in a.targets:
                            gates.setdefault(t, f"{luts[0]}[...]" if luts else gates[next(iter(a.reads & gates.keys()))])
            if not tokens:
                continue

            def gate_of(test: cst.BaseExpression) -> str | None:
                luts = _lut_reads(test, tokens)
                if luts:
                    return f"{luts[0]}[...]"
                hit = names_read(test) & gates.keys()
                return next(iter(sorted(hit)), None)

            skips = [(line, g) for node, line, body_end, _, _ in f.ifs
                     if loop.line < line <= loop.end_line and "continue" in facts.code(node.body)
                     and (g := gate_of(node.test))]
            for a in inside:
                sub = _store_subscript(a) if a.subscript_store else None
                if sub is None or _index_name(sub) != index:
                    continue
                gate = next((gate_of(g.test) for g in a.ctx.guards if gate_of(g.test)), None)
                if gate is None:
                    gate = next((g for line, g in skips if line < a.line), None)
                if gate is not None:
                    tok = next(iter(sorted(tokens)))
                    out.append(GateSite(f, a.line, index, tok, gate))
                    break
    return out


# ------------------------------------------------------------------------------ byte-level PPM / streaming mixers (GC109)
PPM_NAME = re.compile(r"ppm|byte_?mix|mix_bpb|byte_mixture|context_mix", re.I)


@dataclass(frozen=True)
class ByteMixer:
    """A byte-level PPM or streaming mixer entry point, with the tells found in its body."""

    function: Function
    line: int
    tells: tuple[str, ...]


def _mixer_tells(facts: Facts, fs: list[Function]) -> tuple[str, ...]:
    text = "\n".join(facts.code(f.node) for f in fs if f.node is not None)
    tells = []
    if re.search(r"byte_stream|\.encode\(|bytes_lut|token_bytes|piece", text):
        tells.append("a byte stream built from token pieces")
    if re.search(r"lambda_(hi|lo)|\blam\w*\s*=|\blmbda|gate", text, re.I):
        tells.append("a λ gate between model and PPM")
    if re.search(r"log2|LOG2|/\s*total_bytes|/\s*n_bytes", text):
        tells.append("per-byte -log2 summed over total bytes")
    return tuple(tells)


SCORING_ENTRY = re.compile(r"bpb|score|eval|mix", re.I)


def byte_mixers(facts: Facts) -> list[ByteMixer]:
    """PPM / byte-mixer scoring entry points called from outside the PPM code.

    Every scoring entry (name with bpb/score/eval/mix) is reported, so that a dormant legacy path cannot
    hide a live one (#2039: ``_ppm_mixture_bpb`` behind PPM_ENABLED=0, ``_cond_ppm_mixture_bpb`` live);
    a PPM class counts once, at its first method.
    """
    named = [f for f in facts.functions.values() if f.node is not None and (PPM_NAME.search(f.name) or PPM_NAME.search(f.class_name or ""))]
    if not named:
        return []
    names = {f.qualname for f in named}
    entries = [f for f in named if any(c.qualname not in names for c, _ in facts.callers.get(f.qualname, []))]
    units: dict[str, Function] = {}
    for f in sorted(entries or named, key=lambda f: f.line):
        key = f.class_name if f.class_name and PPM_NAME.search(f.class_name) else f.qualname
        units.setdefault(key, f)
    chosen = [f for f in units.values() if SCORING_ENTRY.search(f.name)] or [min(units.values(), key=lambda f: f.line)]
    out = []
    for entry in chosen:
        reach = [facts.functions[q] for q in facts.reachable([entry.qualname]) if q in facts.functions]
        out.append(ByteMixer(entry, entry.line, _mixer_tells(facts, reach)))
    return out


# ------------------------------------------------------------------------------ known-legal patterns (GC906-GC908)
COMPONENTS = (
    ("BigramHash", re.compile(r"bigram_?hash", re.I)),
    ("TrigramHash", re.compile(r"trigram_?hash", re.I)),
    ("XSA", re.compile(r"(^|_)xsa(_|$)|xsa_last_n", re.I)),
    ("value embeddings (VE)", re.compile(r"value_?embed|^ve_(layers|dim|enabled|shared|scales?)$", re.I)),
    ("U-Net skips", re.compile(r"^skip_(weights|gates)$|unet|u_net", re.I)),
    ("value residuals", re.compile(r"value_?resid|v_resid|^vrl_|^v0_lambda", re.I)),
)


def identifiers(facts: Facts) -> Iterator[tuple[str, int]]:
    """(identifier, line): function and class names and assigned names (last component), in the file."""
    for f in facts.functions.values():
        if f.node is not None:
            yield f.name, f.line
            if f.class_name:
                yield f.class_name, f.line
        for a in f.assigns:
            for t in a.targets:
                yield t.rsplit(".", 1)[-1], a.line


def legal_components(facts: Facts) -> list[tuple[str, int, str]]:
    """(component, first line, identifier) for each recognised architecture component in the file."""
    first: dict[str, tuple[int, str]] = {}
    for name, line in identifiers(facts):
        for label, pattern in COMPONENTS:
            if pattern.search(name) and (label not in first or line < first[label][0]):
                first[label] = (line, name)
    masked = [s for s in smear_sites(facts) if s.masked]
    if masked:
        first["SmearGate with BOS mask"] = (masked[0].line, masked[0].function.name)
    return sorted(((label, line, name) for label, (line, name) in first.items()), key=lambda t: t[1])


def sliding_window_evals(facts: Facts) -> list[Function]:
    """Scoring functions that step windows by a stride (one per file: the first)."""
    out = []
    for f in facts.functions.values():
        if f.node is None or not scoring_sums(f):
            continue
        reads = {n for a in f.assigns for n in a.reads} | {n for loop in f.loops.values() for n in loop.iter_reads} | set(f.params)
        if any(re.search(r"stride", n.rsplit(".", 1)[-1], re.I) for n in reads):
            out.append(f)
    return sorted(out, key=lambda f: f.line)[:1]


SIDECAR = re.compile(r"fineweb_val_bytes_|val_bytes_\*|_val_bytes_")


def byte_sidecars(facts: Facts) -> list[tuple[int, str]]:
    """(line, literal) of the raw-byte sidecar path (CaseOps ``fineweb_val_bytes_*``); first one per file."""
    hits = sorted((line, s) for s, line in facts.strings if SIDECAR.search(s))
    return hits[:1]


def alias_guard_off(facts: Facts, f: Function, guards, config) -> str | None:
    """``use_slot = getattr(args, "slot_enabled", False)`` ... ``if use_slot:`` with the flag off in this run.

    The engine's dormancy reads flags by their own name; a local alias of a flag is resolved here.
    """
    for guard in guards:
        test, negated = guard.test, guard.negated
        if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
            test, negated = test.expression, not negated
        if not isinstance(test, cst.Name):
            continue
        alias = _last_assign([f], test.value, guard.line)
        v = alias.value if alias is not None else None
        key = None
        if isinstance(v, cst.Call) and dotted_name(v.func) == "getattr" and len(v.args) >= 2 and isinstance(v.args[1].value, cst.SimpleString):
            key = v.args[1].value.evaluated_value
        elif isinstance(v, cst.Attribute):
            key = v.attr.value
        enabled = config.enabled(key) if key else None
        if enabled is not None and enabled == negated:
            return f"`{test.value}` is `{key}`, which this run sets to {config.value(key)}"
    return None


def env_guard_off(facts: Facts, call: CallSite | None, config) -> str | None:
    """``if os.environ.get("X", "0") == "1":`` around ``call`` that the run configuration does not take.

    The engine's dormancy evaluates flags read into settings; inline environment comparisons are
    evaluated here. Returns the reason, or None.
    """
    if call is None:
        return None
    for guard in call.ctx.guards:
        test = guard.test
        if not (isinstance(test, cst.Comparison) and len(test.comparisons) == 1 and isinstance(test.left, cst.Call)):
            continue
        func = facts.qualify(dotted_name(test.left.func)) or ""
        args = test.left.args
        comp = test.comparisons[0]
        if func not in ("os.environ.get", "os.getenv") or not args or not isinstance(args[0].value, cst.SimpleString):
            continue
        if not isinstance(comp.comparator, cst.SimpleString) or not isinstance(comp.operator, (cst.Equal, cst.NotEqual)):
            continue
        name = args[0].value.evaluated_value
        setting = config.get(name)
        if setting is not None and setting.value is not None:
            raw = str(setting.value)
        elif len(args) > 1 and isinstance(args[1].value, cst.SimpleString):
            raw = args[1].value.evaluated_value
        else:
            continue
        equal = raw == comp.comparator.evaluated_value
        taken = equal if isinstance(comp.operator, cst.Equal) else not equal
        if guard.negated:
            taken = not taken
        if not taken:
            return f"under `{facts.code(test)}` with {name}={raw}, which this run does not take"
    return None
