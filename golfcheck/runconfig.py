"""The effective run configuration of a submission.

Settings are read from the code (``os.environ.get("X", default)`` with casts such as ``int(...)``,
``float(...)``, ``bool(int(...))``, comparisons, and argparse defaults), then overridden — in this
order — by the README's run command (``VAR=value torchrun ...``, ``export VAR=value``), a run script
in the folder, and the ``key: value`` hyperparameter lines the logs echo (what actually ran).

A log line is evidence, not configuration: it may confirm what ran, but it may not switch off a
setting that the code default and the run command turn on unless the run that echoes it also carries
its scored result (a lone forged ``use_ngram: 0`` line would otherwise turn an error into a dormant
note). Every echo whose truthiness disagrees with the code and the command is recorded as an
:class:`EchoConflict`, which GC004 reports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any, Iterable

import libcst as cst

from golfcheck.source import dotted_name, string_value
from golfcheck.tree import walk

ENV_GETTERS = {"os.environ.get", "os.getenv", "environ.get", "getenv", "os.environ.setdefault", "env.get"}
ASSIGN_IN_COMMAND = re.compile(r"(?:(?<=\s)|^)([A-Z][A-Z0-9_]+)=(\"[^\"]*\"|'[^']*'|[^\s;&|`]*)")
COMMAND_HINT = re.compile(r"(torchrun|python3?\b|train_gpt|export\s|^\s*env\s|\bSEED=)")
ECHO_LINE = re.compile(r"^\s*([a-z_][a-z0-9_]*)\s*[:=]\s*(\S.{0,200}?)\s*$")
FALSY = {"", "0", "false", "no", "off", "none", "0.0"}


def parse_scalar(text: str) -> Any:
    """'True' -> True, '3' -> 3, '0.5' -> 0.5, else the stripped string."""
    t = text.strip().strip("\"'")
    if t in ("True", "true"):
        return True
    if t in ("False", "false"):
        return False
    if t in ("None", "none", "null"):
        return None
    try:
        return int(t)
    except ValueError:
        pass
    try:
        return float(t)
    except ValueError:
        return t


def truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in FALSY
    return bool(value)


@dataclass
class Setting:
    """One configurable value: where it is read in the code, its default, and its effective value."""

    key: str  # lower-case attribute or variable name
    env: str | None
    default: Any
    value: Any
    source: str  # where the effective value comes from
    path: str = ""
    line: int = 0
    expr: cst.BaseExpression | None = field(default=None, repr=False)


@dataclass(frozen=True)
class EchoConflict:
    """A log echo whose value disagrees (in truthiness) with the code default and run command."""

    key: str  # as the log prints it
    before: Any  # the value from the code default / README / run script
    before_source: str
    value: str  # the echoed value
    log: str  # the log's path relative to the folder
    line: int
    taken: bool  # False: refused (it would switch a path off without a scored result)


@dataclass
class RunConfig:
    settings: dict[str, Setting] = field(default_factory=dict)
    conflicts: list[EchoConflict] = field(default_factory=list)

    def get(self, name: str) -> Setting | None:
        return self.settings.get(name.lower())

    def value(self, name: str, default: Any = None) -> Any:
        s = self.get(name)
        return default if s is None else s.value

    def enabled(self, name: str) -> bool | None:
        """Truthiness of a setting's effective value; None if unknown."""
        s = self.get(name)
        return None if s is None else truthy(s.value)

    def add(self, setting: Setting) -> None:
        for key in {setting.key, (setting.env or "").lower()} - {""}:
            self.settings.setdefault(key, setting)

    def override(self, name: str, raw: str, source: str, final: bool = False) -> None:
        """Set a value from outside the code; ``final`` values (log echoes) bypass the code's casts.

        Every setting that reads the same environment variable takes the value: a script may read
        ``TTT_ENABLED`` twice (a class attribute and a local ``ttt_on``), and both ran with it.
        """
        s = self.get(name)
        if s is None:
            self.add(Setting(name.lower(), name if name.isupper() else None, None, parse_scalar(raw), source))
            return
        env = (s.env or (name if name.isupper() else "")).lower()
        seen: set[int] = set()
        for t in self.settings.values():
            if id(t) in seen or not (t is s or (env and (t.env or "").lower() == env)):
                continue
            seen.add(id(t))
            t.value = _apply(t.expr, raw) if (t.expr is not None and not final) else parse_scalar(raw)
            t.source = source

    def to_dict(self) -> dict:
        seen, out = set(), {}
        for s in self.settings.values():
            if id(s) in seen:
                continue
            seen.add(id(s))
            out[s.env or s.key] = {"value": s.value, "default": s.default, "source": s.source}
        return out


# ------------------------------------------------------------------------------ code settings
class _Unevaluable(Exception):
    pass


def _env_call(node: cst.CSTNode) -> tuple[str, cst.BaseExpression | None] | None:
    """('NAME', default-expr) if ``node`` is an environment read."""
    if isinstance(node, cst.Call) and (dotted_name(node.func) or "") in ENV_GETTERS and node.args:
        first = node.args[0].value
        if isinstance(first, cst.SimpleString):
            name = string_value(first)
            if isinstance(name, str):
                default = node.args[1].value if len(node.args) > 1 else None
                return name, default
    if isinstance(node, cst.Subscript) and dotted_name(node.value) in ("os.environ", "environ"):
        el = node.slice[0].slice if node.slice else None
        if isinstance(el, cst.Index) and isinstance(el.value, cst.SimpleString):
            return string_value(el.value), None
    return None


MAX_LITERAL_CHARS = 64  # a longer number or string default is unknown, not evaluated (a 5,000-digit
# hex default cannot even be printed: str() of it raises)


def _literal(node: cst.BaseExpression | None) -> Any:
    if node is None:
        return None
    if isinstance(node, cst.SimpleString):
        value = string_value(node)
        if isinstance(value, str) and len(value) > MAX_LITERAL_CHARS and value.strip().lstrip("+-").isdigit():
            raise _Unevaluable  # a huge number in a string: int() of it is refused too
        return value
    if isinstance(node, cst.ConcatenatedString):
        return node.evaluated_value
    if isinstance(node, cst.Integer):
        if len(node.value) > MAX_LITERAL_CHARS:
            raise _Unevaluable
        return int(node.value.replace("_", ""), 0)
    if isinstance(node, cst.Float):
        if len(node.value) > MAX_LITERAL_CHARS:
            raise _Unevaluable
        return float(node.value.replace("_", ""))
    if isinstance(node, cst.Name) and node.value in ("True", "False", "None"):
        return {"True": True, "False": False, "None": None}[node.value]
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        v = _literal(node.expression)
        if isinstance(v, (int, float)):
            return -v
    raise _Unevaluable


def _eval(node: cst.BaseExpression, raw: Any) -> Any:
    """Evaluate a setting expression with its environment read replaced by ``raw``."""
    if _env_call(node) is not None:
        return raw
    if isinstance(node, cst.Call):
        name = dotted_name(node.func) or ""
        if name in ("int", "float", "bool", "str") and len(node.args) == 1:
            v = _eval(node.args[0].value, raw)
            if name == "int":
                return int(float(v)) if isinstance(v, str) and "." in v else int(v)
            return {"float": float, "bool": bool, "str": str}[name](v)
        if isinstance(node.func, cst.Attribute) and node.func.attr.value in ("lower", "strip", "upper"):
            v = _eval(node.func.value, raw)
            return getattr(str(v), node.func.attr.value)()
        raise _Unevaluable
    if isinstance(node, cst.Comparison) and len(node.comparisons) == 1:
        left = _eval(node.left, raw)
        comp = node.comparisons[0]
        right = _literal_or_seq(comp.comparator)
        op = comp.operator
        if isinstance(op, cst.Equal):
            return left == right
        if isinstance(op, cst.NotEqual):
            return left != right
        if isinstance(op, cst.In):
            return left in right
        if isinstance(op, cst.NotIn):
            return left not in right
        if isinstance(op, cst.GreaterThan):
            return left > right
        raise _Unevaluable
    if isinstance(node, cst.BooleanOperation):
        a, b = _eval(node.left, raw), _eval(node.right, raw)
        return (a and b) if isinstance(node.operator, cst.And) else (a or b)
    return _literal(node)


def _literal_or_seq(node):
    if isinstance(node, (cst.Tuple, cst.List, cst.Set)):
        return [_literal(e.value) for e in node.elements]
    return _literal(node)


def _apply(expr: cst.BaseExpression, raw: Any) -> Any:
    try:
        return _eval(expr, raw)
    except (_Unevaluable, ValueError, TypeError, OverflowError, RecursionError):
        try:
            return parse_scalar(raw) if isinstance(raw, str) else raw
        except (ValueError, OverflowError):
            return None


def _contains_env(node: cst.CSTNode) -> tuple[str, cst.BaseExpression | None] | None:
    found = []

    def prune(n) -> bool:
        if isinstance(n, (cst.Call, cst.Subscript)):
            hit = _env_call(n)
            if hit:
                found.append(hit)
                return True
        return False

    for _ in walk(node, prune):
        pass
    return found[0] if len(found) == 1 else None


def _target_name(target: cst.BaseExpression) -> str | None:
    if isinstance(target, cst.Name):
        return target.value
    if isinstance(target, cst.Attribute):
        return target.attr.value
    return None


def _setting_from_assignment(target, value, path: str, line: int) -> Setting | None:
    """``NAME = <expr reading one environment variable>`` -> a Setting with its evaluated default."""
    name = _target_name(target)
    if not name:
        return None
    hit = _contains_env(value)
    if not hit:
        return None
    env, default_expr = hit
    try:
        raw_default = _literal(default_expr)
    except _Unevaluable:
        raw_default = None
    default = _apply(value, raw_default if raw_default is None else str(raw_default) if not isinstance(raw_default, str) else raw_default)
    if raw_default is not None and not isinstance(raw_default, str):
        # os.environ.get("X", 0) returns the int 0 when unset: evaluate with the literal itself
        default = _apply(value, raw_default)
    return Setting(name.lower(), env, default, default, f"default in {path}:{line}", path, line, value)


def _setting_from_add_argument(node: cst.Call, path: str, line: int) -> Setting | None:
    """``parser.add_argument("--flag", default=...)`` -> a Setting (argparse default)."""
    if not isinstance(node.func, cst.Attribute) or node.func.attr.value != "add_argument":
        return None
    flags = [a.value.evaluated_value for a in node.args if a.keyword is None and isinstance(a.value, cst.SimpleString)]
    longs = [f for f in flags if isinstance(f, str) and f.startswith("--")]
    if not longs:
        return None
    kw = {a.keyword.value: a.value for a in node.args if a.keyword is not None}
    dest = kw.get("dest")
    name = dest.evaluated_value if isinstance(dest, cst.SimpleString) else longs[0][2:].replace("-", "_")
    if not isinstance(name, str):
        return None
    try:
        default = _literal(kw.get("default"))
    except _Unevaluable:
        default = None
    action = kw.get("action")
    if default is None and isinstance(action, cst.SimpleString) and action.evaluated_value == "store_true":
        default = False
    return Setting(name.lower(), None, default, default, f"default in {path}:{line}", path, line, None)


class _SettingsScan(cst.CSTVisitor):
    METADATA_DEPENDENCIES = (cst.metadata.PositionProvider,)

    def __init__(self, path: str):
        self.path = path
        self.found: list[Setting] = []

    def _line(self, node) -> int:
        return self.get_metadata(cst.metadata.PositionProvider, node).start.line

    def visit_Assign(self, node: cst.Assign) -> None:
        if len(node.targets) == 1:
            self._keep(_setting_from_assignment(node.targets[0].target, node.value, self.path, self._line(node)))

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._keep(_setting_from_assignment(node.target, node.value, self.path, self._line(node)))

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Attribute) and node.func.attr.value == "add_argument":
            self._keep(_setting_from_add_argument(node, self.path, self._line(node)))

    def _keep(self, setting: Setting | None) -> None:
        if setting is not None:
            self.found.append(setting)


def settings_from_code(module: cst.Module, path: str) -> list[Setting]:
    """Settings of one parsed module (a full metadata visit; prefer :func:`settings_from_facts`)."""
    scan = _SettingsScan(path)
    cst.metadata.MetadataWrapper(module, unsafe_skip_copy=True).visit(scan)
    return scan.found


def settings_from_facts(facts) -> list[Setting]:
    """Settings of one source from the candidates its Facts visit already recorded (no second visit).

    A setting whose default cannot be evaluated (a value too large to convert, say) is left out - it
    is unknown - and never costs the file its other settings or findings."""
    found: list[tuple[int, int, Setting]] = []
    for order, (kind, node, line) in enumerate(facts.setting_candidates):
        try:
            if kind == "assign":
                if isinstance(node, cst.Assign):
                    s = _setting_from_assignment(node.targets[0].target, node.value, facts.path, line) if len(node.targets) == 1 else None
                else:
                    s = _setting_from_assignment(node.target, node.value, facts.path, line)
            else:
                s = _setting_from_add_argument(node, facts.path, line)
        except (ValueError, TypeError, OverflowError, RecursionError, AttributeError):
            s = None
        if s is not None:
            found.append((order, line, s))
    injected = injected_defaults(facts)
    out = []
    for _, _, s in found:
        if s.env and s.env in injected and s.default is None and s.expr is not None:
            value = _apply(s.expr, injected[s.env][0])
            s = replace(s, value=value, default=value,
                                    source=f"default injected by os.environ at {facts.path}:{injected[s.env][1]}")
        out.append(s)
    return out


def injected_defaults(facts) -> dict[str, tuple[str, int]]:
    """Environment defaults a script sets itself: ``os.environ.setdefault("X", "1")`` and
    ``os.environ["X"] = "1"`` (an env read without a default then sees that value)."""
    out: dict[str, tuple[str, int]] = {}
    for _f, c in facts.all_calls():
        if c.func in ("os.environ.setdefault", "environ.setdefault") and len(c.node.args) >= 2:
            try:
                key, value = _literal(c.node.args[0].value), _literal(c.node.args[1].value)
            except _Unevaluable:
                continue
            if isinstance(key, str):
                out.setdefault(key, (str(value), c.line))
    for f in facts.functions.values():
        for a in f.assigns:
            node = a.node
            if not (a.subscript_store and isinstance(node, cst.Assign) and len(node.targets) == 1):
                continue
            t = node.targets[0].target
            if isinstance(t, cst.Subscript) and dotted_name(t.value) in ("os.environ", "environ") and len(t.slice) == 1:
                try:
                    key, value = _literal(t.slice[0].slice.value), _literal(a.value)
                except (_Unevaluable, AttributeError):
                    continue
                if isinstance(key, str):
                    out[key] = (str(value), a.line)
    return out


_ECHO_LABEL = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*[=:]\s*$")


def log_aliases(facts) -> dict[str, str]:
    """Labels under which the code prints a setting: ``log0(f"... ttt={args.ttt_enabled}")`` gives
    ``{"ttt": "ttt_enabled"}``, so a log line ``... ttt=True`` says what ran."""
    out: dict[str, str] = {}
    for _, call in facts.all_calls():
        for arg in call.node.args:
            value = arg.value
            if not isinstance(value, cst.FormattedString):
                continue
            parts = value.parts
            for before, part in zip(parts, parts[1:]):
                if not (isinstance(before, cst.FormattedStringText) and isinstance(part, cst.FormattedStringExpression)):
                    continue
                m = _ECHO_LABEL.search(before.value)
                target = dotted_name(part.expression) if isinstance(part.expression, (cst.Name, cst.Attribute)) else None
                if m and target:
                    label, key = m.group(1), target.rsplit(".", 1)[-1].lower()
                    if label.lower() != key:
                        out.setdefault(label, key)
    return out


def aliased_echoes(text: str, aliases: dict[str, str]) -> dict[str, str]:
    """``{setting: value}`` for every alias label the log prints as ``label=value`` or ``label: value``."""
    return {key: value for key, (value, _line) in aliased_echo_lines(text, aliases).items()}


def aliased_echo_lines(text: str, aliases: dict[str, str]) -> dict[str, tuple[str, int]]:
    """``{setting: (value, line)}``: :func:`aliased_echoes` with the line of each."""
    out: dict[str, tuple[str, int]] = {}
    for label, key in aliases.items():
        m = re.search(rf"(?:^|[\s,;(\[]){re.escape(label)}\s*+[=:]\s*+([^\s,;)\]]+)", text, re.M)
        if m and key not in out:
            out[key] = (m.group(1), text.count("\n", 0, m.start(1)) + 1)
    return out


# ------------------------------------------------------------------------------ overrides
def command_overrides(text: str) -> dict[str, str]:
    """``VAR=value`` assignments on command-like lines of a README or shell script."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        if not COMMAND_HINT.search(line) and not re.match(r"^\s*[A-Z][A-Z0-9_]+=", line):
            continue
        for name, value in ASSIGN_IN_COMMAND.findall(line):
            out[name] = value.strip("\"'")
    return out


def log_echoes(text: str) -> dict[str, str]:
    try:
        from golfcheck.logs import hyperparameter_echoes  # the log parser's own reader
    except ImportError:  # pragma: no cover - the parser always ships
        hyperparameter_echoes = None
    if hyperparameter_echoes is not None:
        return hyperparameter_echoes(text)
    out: dict[str, str] = {}
    for line in text.splitlines()[:2000]:
        m = ECHO_LINE.match(line)
        if m:
            out.setdefault(m.group(1), m.group(2))
    return out


def resolve(
    code_settings: Iterable[Setting],
    readme: tuple[str, str] | None = None,
    run_scripts: Iterable[tuple[str, str]] = (),
    logs: Iterable[tuple[str, str]] = (),
    aliases: dict[str, str] | None = None,
) -> RunConfig:
    """Combine code defaults with README, run-script and log evidence (later sources win).

    ``aliases`` (from :func:`log_aliases`) maps labels the code prints settings under to the settings.
    """
    cfg = RunConfig()
    for s in code_settings:
        cfg.add(s)
    if readme:
        for name, value in command_overrides(readme[1]).items():
            cfg.override(name, value, f"{readme[0]} run command")
    for rel, text in run_scripts:
        for name, value in command_overrides(text).items():
            cfg.override(name, value, rel)
    # what the code and the command give, before any log: every log is judged against this
    base = {id(st): (st.value, st.source) for st in cfg.settings.values()}
    for rel, text in logs:
        try:
            from golfcheck.logs import hyperparameter_echo_lines

            echoed = hyperparameter_echo_lines(text)
        except ImportError:  # pragma: no cover - the parser always ships
            echoed = {k: (v, 1) for k, v in log_echoes(text).items()}
        scored = _ScoredRuns(text)
        for key, (value, line) in echoed.items():
            if cfg.get(key) is not None:  # only echoes of settings the code reads
                _take_echo(cfg, base, key, value, rel, line, scored)
        for key, (value, line) in aliased_echo_lines(text, aliases or {}).items():
            if cfg.get(key) is not None and key not in echoed:
                _take_echo(cfg, base, key, value, rel, line, scored)
    return cfg


class _ScoredRuns:
    """Which lines of a log belong to a run that carries a scored (final) result; parsed on demand."""

    def __init__(self, text: str):
        self.text = text
        self.spans: list[tuple[int, int]] | None = None

    def covers(self, line: int) -> bool:
        if self.spans is None:
            from golfcheck.logs import candidates, parse_log

            self.spans = [(r.start_line, r.end_line) for r in parse_log(self.text).runs if candidates(r)]
        return any(start <= line <= end for start, end in self.spans)


_FLAG_WORDS = {"0", "1", "true", "false", "yes", "no", "on", "off"}


def _flag_like(value: Any) -> bool:
    """A value that reads as an on/off switch (not a count, a seed, a path or a shell placeholder)."""
    if isinstance(value, bool):
        return True
    if isinstance(value, (int, float)):
        return value in (0, 1)
    return isinstance(value, str) and value.strip().lower() in _FLAG_WORDS


def _take_echo(cfg: RunConfig, base: dict, key: str, value: str, rel: str, line: int, scored: _ScoredRuns) -> None:
    """Override a setting with a log echo, unless the echo would switch off, on its own word, a path
    that the code and the run command turn on (see the module docstring)."""
    setting = cfg.get(key)
    before, before_source = base.get(id(setting), (setting.value, setting.source))
    echoed = parse_scalar(value)
    was_on, now_on = truthy(before), truthy(echoed)
    numeric = isinstance(before, (bool, int, float)) or _flag_like(before)
    if was_on and not now_on and numeric and not scored.covers(line):
        cfg.conflicts.append(EchoConflict(key, before, before_source, value, rel, line, taken=False))
        return
    if was_on != now_on and _flag_like(before) and _flag_like(echoed):
        cfg.conflicts.append(EchoConflict(key, before, before_source, value, rel, line, taken=True))
    cfg.override(key, value, f"echoed in {rel}", final=True)
