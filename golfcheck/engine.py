"""The audit engine: normalise -> facts -> run configuration -> rules -> dormancy and suppressions.

Rules are pure functions of an :class:`AuditContext`. The engine owns the policy that is the same
for every rule: a finding on a code path that the run configuration disables is reported as a
note ("dormant"), suppression comments are reported (GC003) and obeyed only on request, and
``select``/``ignore`` filter by id or prefix.
"""

from __future__ import annotations

import io
import re
import tokenize
import traceback
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

import libcst as cst

from golfcheck.config import DEFAULT_UNIT_MEMORY_MB, DEFAULT_UNIT_TIMEOUT
from golfcheck.facts import Facts
from golfcheck.findings import Finding, Severity
from golfcheck.runconfig import RunConfig, log_aliases, resolve, settings_from_code, settings_from_facts  # noqa: F401
from golfcheck.selection import INTERNAL, selected as _selected
from golfcheck.source import Normaliser, native_file_findings

SUPPRESSION = re.compile(r"#\s*golfcheck:\s*ignore(?:\[(?P<codes>[^\]]*)\])?(?P<reason>.*)$")
# Rules whose findings come from code and may be dormant; folder-evidence rules are never downgraded.
NEVER_DORMANT = {INTERNAL, "GC001", "GC002", "GC003", "GC004", "GC503", "GC507", "GC508"}


@dataclass(frozen=True)
class Suppression:
    path: str
    line: int  # the line the suppression applies to
    comment_line: int
    codes: tuple[str, ...]
    reason: str
    in_payload: bool


@dataclass
class Options:
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    respect_suppressions: bool = False
    history: bool = False  # downgrade errors on records dated before a ruling (see rules)
    timeout: float | None = DEFAULT_UNIT_TIMEOUT  # seconds one file or folder may take; None = no limit
    # which rules run: ("code",) for `golfcheck audit` (the code question); `check` and `gate` add
    # "folder" (size, logs, seeds, submission.json, layout: see Rule.scope)
    scopes: tuple[str, ...] = ("code",)
    memory: float | None = DEFAULT_UNIT_MEMORY_MB  # MiB one unit may allocate; None = no cap
    isolate: bool = True  # audit each unit in a forked child (golfcheck.isolation) where the OS can
    cache: bool = True  # answer an unchanged unit from the content-hash cache (golfcheck.cache)


@dataclass
class AuditContext:
    """What a rule may look at. ``facts`` holds one entry per analysed source (files and decoded payloads)."""

    root: Path
    facts: list[Facts]
    config: RunConfig
    submission: object | None = None  # golfcheck.submission.Submission for folder audits
    tool_findings: list[Finding] = field(default_factory=list)
    options: Options = field(default_factory=Options)

    @cached_property
    def readme(self) -> tuple[str, str] | None:
        sub = self.submission
        f = getattr(sub, "readme", None) if sub else None
        return (f.rel, _head(f)) if f else None

    @cached_property
    def run_scripts(self) -> list[tuple[str, str]]:
        sub = self.submission
        return [(f.rel, _head(f)) for f in getattr(sub, "run_scripts", [])] if sub else []

    @cached_property
    def logs(self) -> list[tuple[str, str]]:
        """(path, text) of every log small enough to parse (a bigger one is reported by the folder
        checks and never read whole: rules scan these texts line by line)."""
        from golfcheck.logs import MAX_LOG_BYTES

        out = []
        for f in getattr(self.submission, "logs", []) if self.submission else []:
            try:
                if f.path.stat().st_size > MAX_LOG_BYTES:
                    continue
            except OSError:
                continue
            out.append((f.rel, f.text))
        return out

    @cached_property
    def other_code(self) -> list[tuple[str, str]]:
        """Every code file of the folder that is not analysed as Python (shell, notebooks)."""
        return self.run_scripts

    def finding(self, rule, facts: Facts, at, message: str, severity: Severity | None = None, evidence: str = "") -> Finding:
        """Build a finding for ``rule`` (class or instance) at a node, a (line, col) pair or a line."""
        end_line = end_col = None
        if isinstance(at, cst.CSTNode):
            line, col, end_line, end_col = facts.span(at)
        elif isinstance(at, tuple):
            line, col = at
        else:
            line, col = int(at), 0
        return Finding(
            rule.id, severity or rule.severity, facts.path, line, col, message,
            ruling=rule.ruling_text(), in_payload=facts.source.in_payload, evidence=evidence,
            end_line=end_line, end_column=end_col,
        )


MAX_COMMAND_TEXT = 1024 * 1024  # a README or run script is read for run commands up to here (real: < 50 KB)


def _head(f) -> str:
    """The start of a README or run script: a huge one must not exhaust the audit (and so turn every
    finding of the unit into a single GC002); the folder checks report its size."""
    from golfcheck.submission import read_text

    try:
        return read_text(f.path, MAX_COMMAND_TEXT)
    except Exception:  # noqa: BLE001 - unreadable: no commands
        return ""


def suppressions_in(facts: Facts) -> list[Suppression]:
    """``# golfcheck: ignore[GC101] reason`` comments; own-line comments apply to the next code line."""
    out = []
    text = facts.source.text
    if "golfcheck" not in text:
        return out
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return out
    code_lines = {t.start[0] for t in tokens if t.type not in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING, tokenize.ENDMARKER)}
    for t in tokens:
        if t.type != tokenize.COMMENT:
            continue
        m = SUPPRESSION.search(t.string)
        if not m:
            continue
        codes = tuple(c.strip().upper() for c in (m.group("codes") or "").split(",") if c.strip())
        line = t.start[0]
        if line not in code_lines:  # own-line comment: applies to the next line of code
            nxt = [n for n in code_lines if n > line]
            line = min(nxt) if nxt else line
        out.append(Suppression(facts.path, line, t.start[0], codes, m.group("reason").strip(), facts.source.in_payload))
    return out


def _suppression_findings(sups: list[Suppression], respect: bool) -> list[Finding]:
    from golfcheck.selection import known_ids, suggestion, unknown

    if not sups:
        return []
    ids = known_ids()
    out = []
    for s in sups:
        bad = unknown(s.codes, ids, prefixes=False)
        real = tuple(c for c in s.codes if c not in bad)
        # a code that names no rule suppresses nothing: say so, whatever else the comment does
        typo = "; ".join(f"{c} is not a golfcheck rule id{suggestion(c, ids)}" for c in bad)
        if not s.codes:
            msg = "blanket `golfcheck: ignore` without rule codes is not accepted; name the codes, e.g. ignore[GC101]"
        elif not real:
            msg = f"suppression suppresses nothing: {typo}"
        elif respect:
            msg = f"suppression of {', '.join(real)} obeyed (--respect-suppressions)" + (f": {s.reason}" if s.reason else "")
        else:
            msg = (f"suppression comment for {', '.join(real)} in an audited submission is reported, not obeyed"
                   + (f" (reason given: {s.reason})" if s.reason else ""))
        if real and bad:
            msg += f"; {typo}"
        sev = Severity.NOTE if (respect and real and not bad) else Severity.WARNING
        out.append(Finding("GC003", sev, s.path, s.comment_line, 0, msg, in_payload=s.in_payload,
                           ruling="golfcheck policy: submissions are untrusted, so their suppressions need a reviewer"))
    return out


def build_context(root: Path, code_rels: list[str], submission=None, options: Options | None = None, read=None) -> AuditContext:
    """Normalise and parse the code files, then resolve the run configuration."""
    normaliser = Normaliser(root, read=read, analyse=Facts.build)
    norm = normaliser.run(code_rels)
    settings, aliases = [], {}
    for facts in normaliser.facts:
        settings.extend(settings_from_facts(facts))
        for label, key in log_aliases(facts).items():
            aliases.setdefault(label, key)
    ctx = AuditContext(root, normaliser.facts, RunConfig(), submission, list(norm.findings), options or Options())
    if submission is not None:
        rels = [str(p.relative_to(root)) for p in getattr(submission, "other_files", [])]
        ctx.tool_findings.extend(native_file_findings(rels, loaded=normaliser.native_sites > 0))
    ctx.config = resolve(settings, ctx.readme, ctx.run_scripts, ctx.logs, aliases)
    return ctx


def run_rules(ctx: AuditContext, rules=None) -> list[Finding]:
    """Run every selected rule, then apply dormancy and the suppression policy."""
    from golfcheck.rules import all_rules

    opts = ctx.options
    findings: list[Finding] = []
    for rule_cls in rules if rules is not None else all_rules():
        if rule_cls.scope not in opts.scopes or not _selected(rule_cls.id, opts.select, opts.ignore):
            continue
        try:
            findings.extend(rule_cls().check(ctx) or ())
        except RecursionError:
            findings.append(Finding("GC002", Severity.WARNING, ctx.facts[0].path if ctx.facts else ".", 1, 0,
                                    f"{rule_cls.id} could not analyse this code (nesting too deep)"))
        except Exception as exc:  # noqa: BLE001 - one rule's bug must not lose the file's other findings
            findings.append(rule_crash_finding(ctx, rule_cls, exc))
    findings = [_dormancy(ctx, f) for f in findings]
    sups = [s for facts in ctx.facts for s in suppressions_in(facts)]
    if _selected("GC003", opts.select, opts.ignore):
        findings.extend(_suppression_findings(sups, opts.respect_suppressions))
    if opts.respect_suppressions:
        findings = [_suppress(f, sups) for f in findings]
    findings = _anchored(ctx, findings)
    # de-duplicate identical findings (a wrapper and a sibling can lead to the same file twice)
    seen, unique = set(), []
    for f in findings:
        key = (f.rule, f.path, f.line, f.column, f.message, f.in_payload)
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique


def rule_crash_finding(ctx: AuditContext, rule_cls, exc: BaseException) -> Finding:
    """A visible one-line finding for a rule that raised: names the rule and where it failed. It is an
    internal error (GC000): the other rules' findings are kept, and the command exits 2."""
    where = ""
    tb = exc.__traceback__
    frames = traceback.extract_tb(tb) if tb is not None else []
    for fr in reversed(frames):  # the innermost frame inside a rule module (or the innermost at all)
        if "/rules/" in fr.filename.replace("\\", "/"):
            where = f" at rules/{Path(fr.filename).name}:{fr.lineno}"
            break
    else:
        if frames:
            where = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}"
    path = ctx.facts[0].path if ctx.facts else "."
    name = getattr(rule_cls, "name", "")
    return Finding(INTERNAL, Severity.WARNING, path, 1, 0,
                   f"internal error in rule {rule_cls.id} ({name}): {type(exc).__name__}: {str(exc)[:200]}{where}; "
                   "its findings for this submission are missing",
                   ruling="golfcheck policy: a rule that crashed is a golfcheck bug; the run fails (exit 2)")


def _normalised(text: str) -> str:
    return " ".join(text.split())


def _anchored(ctx: AuditContext, findings: list[Finding]) -> list[Finding]:
    """Give each finding its anchor: the enclosing function and the normalised text of its line in
    the analysed source (or in the log, README or run script it cites)."""
    facts_of = {}
    for facts in ctx.facts:
        facts_of.setdefault((facts.path, facts.source.in_payload), facts)
    evidence = {rel: text for rel, text in (*ctx.logs, *ctx.run_scripts, *([ctx.readme] if ctx.readme else []))}
    lines_of: dict[str, list[str]] = {}
    out = []
    for f in findings:
        if f.anchor or f.line < 1:
            out.append(f)
            continue
        facts = facts_of.get((f.path, f.in_payload))
        anchor = ""
        if facts is not None:
            if f.line <= len(facts.lines):
                anchor = f"{facts.function_at(f.line).qualname}: {_normalised(facts.lines[f.line - 1])}"
        elif f.path in evidence and not f.in_payload:
            lines = lines_of.setdefault(f.path, evidence[f.path].splitlines())
            if f.line <= len(lines):
                anchor = _normalised(lines[f.line - 1])
        out.append(replace(f, anchor=anchor) if anchor else f)
    return out


def _dormancy(ctx: AuditContext, f: Finding) -> Finding:
    if f.severity is Severity.NOTE or f.rule in NEVER_DORMANT:
        return f
    for facts in ctx.facts:
        if facts.path == f.path and facts.source.in_payload == f.in_payload:
            reason = facts.dormant(f.line, ctx.config, column=f.column) or _never_referenced(ctx, facts, f.line)
            if reason:
                return f.with_severity(Severity.NOTE, f"dormant: {reason}")
            return f
    return f


def _has_entry_point(facts: Facts) -> bool:
    """Module-level code calls a function of this file (``main()``, under ``if __name__ == ...``)."""
    module = facts.module_level
    return any(facts.resolve_call(module, c) for c in module.calls)


def _never_referenced(ctx: AuditContext, facts: Facts, line: int) -> str | None:
    """A top-level function that no code of the submission calls or mentions never runs."""
    fn = facts.function_at(line)
    if fn.node is None or fn.class_name or "." in fn.qualname:
        return None  # module code, methods (called through instances) and closures: assume live
    if not _has_entry_point(facts):
        return None  # a library or a snippet: what calls it is not in view
    mentioned = ctx.__dict__.get("_mentioned")
    if mentioned is None:
        mentioned = ctx.__dict__["_mentioned"] = set().union(*(set(x._mentions) for x in ctx.facts))
    if fn.name in mentioned:
        return None
    return f"`{fn.name}` is defined but never called or referenced by the submission's code"


def _suppress(f: Finding, sups: list[Suppression]) -> Finding:
    if f.rule == "GC003":
        return f
    for s in sups:
        if s.path == f.path and s.in_payload == f.in_payload and s.line == f.line and f.rule in s.codes:
            return replace(f, suppressed=True)
    return f
