"""Scoring of the verdict benchmark: labelled cases against golfcheck's JSON reports.

Pure functions over plain data (the manifest's tables and the reports ``golfcheck check --format json``
prints); ``run.py`` does the I/O. Only the rule verdict is judged: paperwork (GC6xx, GC507, GC508:
seeds, submission.json fields, layout) is not what the benchmark measures.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

LABELS = ("illegal", "hold", "clean")
VERDICTS = ("ILLEGAL", "HOLD", "CLEAN")
LINE_SLACK = 3  # a finding within this many lines of a cited line points at the same code
PAPERWORK_IDS = frozenset({"GC507", "GC508"})

# Rule families, as research/RULES.md groups them. A case is caught for a family when golfcheck
# reports an error from any rule of that family.
FAMILIES: dict[str, tuple[str, ...]] = {
    "meta": ("GC001", "GC002", "GC003"),
    "ngram": ("GC101", "GC102", "GC108"),
    "oracle-rescoring": ("GC103", "GC104"),
    "slot": ("GC105", "GC106"),
    "normalisation": ("GC107", "GC109"),
    "smeargate": ("GC110",),
    "ttt": ("GC201", "GC202"),
    "val-warmup-calibration": ("GC203", "GC204"),
    "data-access": ("GC301", "GC302", "GC303", "GC304", "GC305", "GC306"),
    "byte-accounting": ("GC401", "GC402", "GC403", "GC404", "GC405"),
    "budgets": ("GC501", "GC502", "GC503", "GC504", "GC505", "GC506"),
}
_BY_RULE = {rule: fam for fam, rules in FAMILIES.items() for rule in rules}
_BLOCKS = {"0": "meta", "1": "eval-causality", "2": "adaptation", "3": "data-access", "4": "byte-accounting",
           "5": "budgets"}
_RULE_ID = re.compile(r"^GC(\d)(\d\d)$")
_LINE_SPEC = re.compile(r"^(?P<file>[^:]+?)(?P<payload>:payload)?:(?P<line>[1-9]\d*)$")
_SHA = re.compile(r"^[0-9a-f]{40}$")


class ManifestError(ValueError):
    """A manifest that cannot be scored; the message names the file and the problem."""


def family_of(rule: str) -> str:
    """The family of a rule id: the named family, else its hundreds block (GC1xx eval causality ...)."""
    if rule in _BY_RULE:
        return _BY_RULE[rule]
    m = _RULE_ID.match(rule)
    if m and m.group(1) in _BLOCKS:
        return _BLOCKS[m.group(1)]
    return "other"


def is_rule_finding(finding: dict) -> bool:
    """A finding about what the code and the run do (GC0xx-GC5xx), not about missing paperwork.

    Uses the finding's ``kind`` when golfcheck gives one; otherwise the rule id decides.
    """
    if finding.get("suppressed"):
        return False
    kind = finding.get("kind")
    if kind is not None:
        return kind == "rule"
    rule = str(finding.get("rule", ""))
    m = _RULE_ID.match(rule)
    return bool(m) and m.group(1) in "012345" and rule not in PAPERWORK_IDS


def rule_findings(report: dict) -> list[dict]:
    return [f for f in report.get("findings") or [] if isinstance(f, dict) and is_rule_finding(f)]


def rule_verdict(report: dict) -> str:
    """ILLEGAL / HOLD / CLEAN from rule findings only: the report's ``rule_verdict`` when present."""
    given = report.get("rule_verdict")
    if isinstance(given, dict):
        given = given.get("verdict")
    if isinstance(given, str) and given.upper() in VERDICTS:
        return given.upper()
    severities = {f.get("severity") for f in rule_findings(report)}
    if "error" in severities:
        return "ILLEGAL"
    if "warning" in severities:
        return "HOLD"
    return "CLEAN"


@dataclass(frozen=True)
class Cited:
    file: str
    line: int
    payload: bool = False

    def __str__(self) -> str:
        return f"{self.file}:{'payload:' if self.payload else ''}{self.line}"


def parse_cited(spec: str) -> Cited:
    """``file:line`` or ``file:payload:line`` (a line of a compressed wrapper's decoded payload)."""
    m = _LINE_SPEC.match(spec.strip())
    if not m:
        raise ValueError(f"cited line {spec!r} is not 'file:line' or 'file:payload:line'")
    return Cited(m.group("file"), int(m.group("line")), bool(m.group("payload")))


@dataclass(frozen=True)
class Case:
    id: str
    commit: str
    folder: str
    label: str
    rules: tuple[str, ...] = ()
    lines: tuple[Cited, ...] = ()
    reason: str = ""
    pr: int | None = None
    main: bool = False
    note: str = ""

    @property
    def families(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(family_of(r) for r in self.rules))

    @property
    def source(self) -> str:
        return f"PR #{self.pr}" if self.pr is not None else "main"


def parse_cases(data: dict, where: str = "manifest") -> list[Case]:
    """Validate the manifest's ``[[case]]`` tables; ManifestError names the case and the problem."""
    tables = data.get("case")
    if not isinstance(tables, list) or not tables:
        raise ManifestError(f"{where}: no [[case]] tables")
    cases, seen = [], set()
    for i, t in enumerate(tables, 1):
        cid = t.get("id")
        name = f"{where}: case {cid!r}" if cid else f"{where}: case #{i}"
        if not isinstance(cid, str) or not cid:
            raise ManifestError(f"{name}: missing id")
        if cid in seen:
            raise ManifestError(f"{name}: duplicate id")
        seen.add(cid)
        pr, main = t.get("pr"), t.get("main", False)
        if (pr is None) == (main is not True):
            raise ManifestError(f"{name}: give exactly one source, pr = N or main = true")
        if pr is not None and (not isinstance(pr, int) or pr <= 0):
            raise ManifestError(f"{name}: pr must be a positive integer")
        commit = t.get("commit")
        if not isinstance(commit, str) or not _SHA.match(commit):
            raise ManifestError(f"{name}: commit must be a full 40-hex sha")
        folder = t.get("folder")
        if not isinstance(folder, str) or not folder.startswith("records/") or ".." in PurePosixPath(folder).parts:
            raise ManifestError(f"{name}: folder must be a path under records/")
        label = t.get("label")
        if label not in LABELS:
            raise ManifestError(f"{name}: label must be one of {', '.join(LABELS)}")
        rules = t.get("rules", [])
        if not isinstance(rules, list) or any(not isinstance(r, str) or not _RULE_ID.match(r) for r in rules):
            raise ManifestError(f"{name}: rules must be a list of GCnnn ids")
        if label != "clean" and not rules:
            raise ManifestError(f"{name}: an {label} case needs the rules it rests on")
        try:
            lines = tuple(parse_cited(s) for s in t.get("lines", []))
        except (ValueError, AttributeError) as exc:
            raise ManifestError(f"{name}: {exc}") from None
        if label != "clean" and not lines:
            raise ManifestError(f"{name}: an {label} case needs its cited lines")
        reason = t.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise ManifestError(f"{name}: missing reason")
        cases.append(Case(cid, commit, folder, label, tuple(rules), lines, reason.strip(), pr, main is True,
                          str(t.get("note", "")).strip()))
    return cases


def load_cases(path: Path) -> list[Case]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ManifestError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ManifestError(f"{path}: not valid TOML ({exc})") from None
    return parse_cases(data, str(path))


# ------------------------------------------------------------------------------------------------
# Judging one case
# ------------------------------------------------------------------------------------------------

_SEVERITY_RANK = {"error": 0, "warning": 1, "note": 2}


def relative_path(path: str, root: str) -> str:
    """A finding's path relative to the audited folder (golfcheck prints folder / relative path)."""
    p, r = PurePosixPath(path.replace("\\", "/")), PurePosixPath(root.replace("\\", "/"))
    try:
        return str(p.relative_to(r))
    except ValueError:
        return str(p) if not p.is_absolute() else p.name


def near_cited(finding: dict, cited: tuple[Cited, ...], root: str) -> bool:
    """Within LINE_SLACK lines of a cited line of the same file (payload lines only match payload)."""
    line = finding.get("line")
    if not isinstance(line, int):
        return False
    rel = relative_path(str(finding.get("path", "")), root)
    in_payload = bool(finding.get("in_payload"))
    return any(c.file == rel and c.payload == in_payload and abs(c.line - line) <= LINE_SLACK for c in cited)


def describe(finding: dict, root: str) -> str:
    """``GC101 error train_gpt.py:115 message start`` for the per-case table."""
    rel = relative_path(str(finding.get("path", "")), root)
    where = f"{rel}:{'payload:' if finding.get('in_payload') else ''}{finding.get('line')}"
    msg = " ".join(str(finding.get("message", "")).split())
    return f"{finding.get('rule')} {finding.get('severity')} {where} {msg[:70]}"


@dataclass
class CaseResult:
    case: Case
    verdict: str | None = None          # the rule verdict; None when golfcheck did not answer
    error: str = ""                     # why golfcheck did not answer
    caught: tuple[str, ...] = ()        # labelled families with an error finding
    family_warned: bool = False         # a labelled family has a finding at warning or above
    line_ok: bool = False               # a caught family's error finding is near a cited line
    culprits: list[str] = field(default_factory=list)  # findings behind a miss or a false alarm
    seconds: float = 0.0

    @property
    def outcome(self) -> str:
        """caught / missed / wrong-family (illegal); agree / over / under (hold); clean / false-* (clean)."""
        if self.verdict is None:
            return "not-run"
        label = self.case.label
        if label == "illegal":
            if self.caught:
                return "caught"
            return "wrong-family" if self.verdict == "ILLEGAL" else "missed"
        if label == "hold":
            return {"HOLD": "agree", "ILLEGAL": "over", "CLEAN": "under"}[self.verdict]
        return {"CLEAN": "clean", "HOLD": "false-hold", "ILLEGAL": "false-illegal"}[self.verdict]


def judge(case: Case, report: dict, root: str, seconds: float = 0.0) -> CaseResult:
    """Compare one golfcheck report with the case's label."""
    found = rule_findings(report)
    found.sort(key=lambda f: (_SEVERITY_RANK.get(f.get("severity"), 3), str(f.get("path")), f.get("line") or 0))
    verdict = rule_verdict(report)
    fams = set(case.families)
    in_family = [f for f in found if family_of(str(f.get("rule"))) in fams]
    errors = [f for f in in_family if f.get("severity") == "error"]
    res = CaseResult(case, verdict, seconds=seconds)
    res.caught = tuple(fam for fam in case.families if any(family_of(str(f.get("rule"))) == fam for f in errors))
    res.family_warned = any(f.get("severity") in ("error", "warning") for f in in_family)
    res.line_ok = any(near_cited(f, case.lines, root) for f in errors)
    outcome = res.outcome
    if outcome in ("missed", "wrong-family", "under"):
        # the closest thing golfcheck said: the labelled family's strongest finding, else what set the verdict
        pick = in_family[:1] or [f for f in found if f.get("severity") in ("error", "warning")][:2]
        res.culprits = [describe(f, root) for f in pick] or ["no rule finding"]
    elif outcome in ("false-illegal", "false-hold", "over"):
        level = "error" if verdict == "ILLEGAL" else "warning"
        res.culprits = [describe(f, root) for f in found if f.get("severity") == level][:3]
    elif outcome == "caught" and not res.line_ok and errors:
        res.culprits = [describe(errors[0], root) + f"  (cited: {', '.join(map(str, case.lines[:3]))})"]
    return res


def failed(case: Case, error: str, seconds: float = 0.0) -> CaseResult:
    return CaseResult(case, None, error=error, seconds=seconds)


# ------------------------------------------------------------------------------------------------
# Figures over all cases
# ------------------------------------------------------------------------------------------------


def _ratio(k: int, n: int) -> dict:
    return {"n": n, "k": k, "rate": (k / n) if n else None}


def summarise(results: list[CaseResult]) -> dict:
    """The benchmark's figures, as a JSON-ready dict (cases golfcheck did not answer are left out)."""
    ran = [r for r in results if r.verdict is not None]
    illegal = [r for r in ran if r.case.label == "illegal"]
    hold = [r for r in ran if r.case.label == "hold"]
    clean = [r for r in ran if r.case.label == "clean"]
    families: dict[str, dict] = {}
    for fam in dict.fromkeys(f for r in illegal for f in r.case.families):
        members = [r for r in illegal if fam in r.case.families]
        families[fam] = _ratio(sum(fam in r.caught for r in members), len(members))
    caught = [r for r in illegal if r.caught]
    return {
        "cases": len(results),
        "not_run": [{"id": r.case.id, "error": r.error} for r in results if r.verdict is None],
        "illegal": {
            "right_family": _ratio(len(caught), len(illegal)),
            "any_error": _ratio(sum(r.verdict == "ILLEGAL" for r in illegal), len(illegal)),
            "families": families,
            "line_accuracy": _ratio(sum(r.line_ok for r in caught), len(caught)),
        },
        "clean": {
            "false_illegal": _ratio(sum(r.verdict == "ILLEGAL" for r in clean), len(clean)),
            "hold": _ratio(sum(r.verdict == "HOLD" for r in clean), len(clean)),
        },
        "hold": {
            "agree": _ratio(sum(r.verdict == "HOLD" for r in hold), len(hold)),
            "illegal": _ratio(sum(r.verdict == "ILLEGAL" for r in hold), len(hold)),
            "clean": _ratio(sum(r.verdict == "CLEAN" for r in hold), len(hold)),
            "family_flagged": _ratio(sum(r.family_warned for r in hold), len(hold)),
        },
        "seconds": round(sum(r.seconds for r in results), 2),
        "per_case": [
            {"id": r.case.id, "label": r.case.label, "rules": list(r.case.rules), "verdict": r.verdict,
             "outcome": r.outcome, "caught": list(r.caught), "line_ok": r.line_ok, "culprits": r.culprits,
             "error": r.error, "seconds": round(r.seconds, 2)}
            for r in results
        ],
    }


def _fmt(x: dict) -> str:
    if not x["n"]:
        return "   -/0"
    return f"{x['k']:>4}/{x['n']:<3} {100 * x['rate']:5.1f}%"


def format_figures(fig: dict) -> str:
    """The printed report: headline figures, per-family recall, then misses and false alarms."""
    ill, cl, ho = fig["illegal"], fig["clean"], fig["hold"]
    out = [f"verdict benchmark: {fig['cases']} cases, golfcheck time {fig['seconds']:.1f} s"]
    if fig["not_run"]:
        out.append(f"not run: {len(fig['not_run'])} (" + ", ".join(e["id"] for e in fig["not_run"]) + ")")
    out += [
        "",
        f"illegal, caught by the labelled family (error)  {_fmt(ill['right_family'])}",
        f"illegal, any rule error (rule verdict ILLEGAL)  {_fmt(ill['any_error'])}",
        f"line accuracy (+-{LINE_SLACK}) of caught cases            {_fmt(ill['line_accuracy'])}",
        f"clean, false ILLEGAL                            {_fmt(cl['false_illegal'])}",
        f"clean, HOLD                                     {_fmt(cl['hold'])}",
        f"hold, agreement (rule verdict HOLD)             {_fmt(ho['agree'])}",
        f"hold, called ILLEGAL / CLEAN                    {_fmt(ho['illegal'])} / {_fmt(ho['clean']).strip()}",
        "",
        "per-family recall (illegal cases; a case counts under each family it is labelled with)",
    ]
    for fam, x in sorted(fig["illegal"]["families"].items()):
        out.append(f"  {fam:<24} {_fmt(x)}")
    rows = [c for c in fig["per_case"] if c["outcome"] not in ("caught", "agree", "clean") or c["culprits"]]
    if rows:
        out += ["", "misses, false alarms and line misses (finding: rule severity file:line message)"]
        for c in rows:
            head = f"  {c['outcome']:<13} {c['id']} [{c['label']} {' '.join(c['rules'])}] -> {c['verdict'] or '-'}"
            out.append(head)
            for why in c["culprits"] or ([c["error"]] if c["error"] else []):
                out.append(f"      {why}")
    return "\n".join(out) + "\n"
