"""Multi-seed validation (GC602): enough distinct seeds, and both significance tests of §4.3
against a SOTA taken from a folder, explicit values, or the shipped leaderboard snapshot.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from golfcheck.checks import evidence
from golfcheck.checks.common import RULING_1902, README_RULES, finding, json_rel
from golfcheck.checks.runs import LogsResult, analyse_logs
from golfcheck.errors import GolfcheckError
from golfcheck.findings import Finding, Severity
from golfcheck.stats import ALPHA_PROGRESSION, ALPHA_STRICT, C_BY_TOKENIZER, c_for_tokenizer, c_from_lines, compare
from golfcheck.submission import Submission, load_submission

_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})")
# PR numbers of merged record folders, where the research notes state them (facts, not guesses).
KNOWN_PRS = {
    "2026-03-23_LeakyReLU_LegalTTT_ParallelMuon": 549,
    "2026-04-06_SP8192_HessianSDClip_ProgressiveRecurrence": 1412,
    "2026-04-09_SP8192_3LayerRecur_ParResid_QK525_LegalTTT": 1493,
    "2026-04-09_A2_Muon097_3Seed": 1514,
    "2026-04-10_VarLenAttn": 1530,
    "2026-04-19_SP8192_CaseOps_GatedAttn_QuantGate_Loop45_PhasedTTT": 1736,
    "2026-04-22_SP8192_CaseOps_GatedAttn_QuantGate_Loop45_PhasedTTT_MLPClip12": 1769,
    "2026-04-23_SP8192_CaseOps_SparseGate_QuantGate_Loop45_PhasedTTT_PolarNS_MinLR_FusedCE": 1787,
    "2026-04-27_SmearGateBOSFix_PR1787Base_LQERAsym_PhasedTTT": 1851,
    "2026-04-27_SP8192_LQER_SparseGate_BOSSmearFix_9HpStack_1.0611": 1855,
    "2026-04-29_SmearGateBOSFix_3Seed_1.06141": 1868,
}


@dataclass
class Sota:
    name: str
    values: list[float]
    c: float | None
    source: str  # folder | values | leaderboard
    pr: int | None = None
    why: str = ""  # why this entry is the one compared with (leaderboard: the rule that chose it)
    path: str | None = None  # the folder given as --sota


@dataclass
class ValidateResult:
    seeds: dict[int, float]
    sota: Sota | None
    comparison: dict | None
    findings: list[Finding] = field(default_factory=list)
    required: int = 3

    def to_dict(self) -> dict:
        cmp = self.comparison or {}
        xs = sorted(self.seeds.values())
        out = {
            "n": len(self.seeds),
            "m": len(self.sota.values) if self.sota else 0,
            "mean": cmp.get("mean", (sum(xs) / len(xs)) if xs else None),
            "sota_mean": cmp.get("sota_mean"),
            "strict": cmp.get("strict", {"p": None, "pass": False}),
            "progression": cmp.get("progression", {"p": None, "pass": False}),
            "findings": [f.to_dict() for f in self.findings],
            "required_seeds": self.required,
            "seeds": {str(k): v for k, v in sorted(self.seeds.items())},
            "sota": None if self.sota is None else {
                "name": self.sota.name, "source": self.sota.source, "pr": self.sota.pr,
                "values": self.sota.values, "c": self.sota.c, "why": self.sota.why},
        }
        for k in ("std", "sota_std", "delta_bpb", "delta_nats", "c_sota", "c_new", "margin_bpb",
                  "margin_nats", "each_seed_beats_margin", "notes", "systems_only"):
            if k in cmp:
                out[k] = cmp[k]
        return out


# ------------------------------------------------------------------ SOTA sources
def c_of(res: LogsResult) -> float | None:
    """bpb/nats of a folder: its counted scored lines with ≥ 6 decimals, else its tokenizer."""
    pairs = [(r.run.scored.bpb, r.run.scored.loss) for r in res.seeds().values()
             if r.run.scored is not None and r.run.scored.decimals >= 6]
    c = c_from_lines(pairs)
    if c is None:
        pairs = [(r.run.scored.bpb, r.run.scored.loss) for r in res.seeds().values() if r.run.scored is not None]
        c = c_from_lines(pairs)
    if c is None:
        for r in res.rows:
            c = c_for_tokenizer(r.run.tokenizer_path or r.run.val_pattern)
            if c:
                break
    return c


def sota_from_folder(path: str | Path) -> Sota:
    sub = load_submission(path)
    if not Path(path).is_dir():
        raise GolfcheckError("--sota must be a submission folder", str(path))
    res = analyse_logs(sub, "history")
    values = res.scored_values()
    if not values:
        claims = evidence.per_seed(sub.submission_json)
        values = {s: float(v["val_bpb"]) for s, v in claims.items() if evidence.number(v, "val_bpb") is not None}
    if not values:
        raise GolfcheckError("no per-seed val_bpb in the SOTA folder's logs or submission.json", str(path))
    name = Path(path).resolve().name
    return Sota(name, [values[s] for s in sorted(values)], c_of(res), "folder", KNOWN_PRS.get(name),
                why="given as --sota", path=str(Path(path).resolve()))


def sota_from_values(text: str, c: float | None = None) -> Sota:
    try:
        values = [float(v) for v in text.replace(" ", "").split(",") if v]
    except ValueError:
        raise GolfcheckError(f"--sota-bpb expects comma-separated numbers, got {text!r}") from None
    if not values or any(not (0.0 < v < 100.0) for v in values):
        raise GolfcheckError(f"--sota-bpb expects positive bpb values, got {text!r}")
    return Sota("--sota-bpb", values, c, "values", why="given as --sota-bpb")


def load_leaderboard() -> dict:
    try:
        text = resources.files("golfcheck.data").joinpath("leaderboard.json").read_text(encoding="utf-8")
        return json.loads(text)
    except (OSError, ValueError, ModuleNotFoundError) as exc:
        raise GolfcheckError(f"the shipped leaderboard snapshot is unreadable: {exc}") from None


def folder_date(folder_name: str | None) -> str | None:
    m = _DATE.match(folder_name or "")
    return m.group(1) if m else None


def sota_from_leaderboard(folder_name: str | None = None, board: dict | None = None,
                          values: list[float] | None = None, date: str | None = None) -> Sota | None:
    """The frontier row (lowest mean) among record rows dated before the submission's date (``date``,
    else ``folder_name``'s; all rows when there is none), never the folder itself: not its own name,
    nor a row with its per-seed values."""
    board = board or load_leaderboard()
    date = date or folder_date(folder_name)
    mine = sorted(round(v, 8) for v in values or [])

    def itself(r) -> bool:
        return r.get("folder") == folder_name or (bool(mine) and sorted(round(float(v), 8)
                                                                        for v in r.get("seeds", {}).values()) == mine)

    rows = [r for r in board.get("rows", []) if r.get("frontier") and not itself(r)
            and len(r.get("seeds", {})) >= 1 and (date is None or r.get("date", "") < date)]
    if not rows:
        return None
    best = min(rows, key=lambda r: r["mean"])
    vals = [float(v) for _, v in sorted(best["seeds"].items(), key=lambda kv: int(kv[0]))]
    snap = board.get("snapshot") or "undated"
    why = (f"the lowest mean ({best['mean']:.8f} over {len(vals)} seeds) among the {len(rows)} merged record-track "
           f"entries with at least 2 seeds" + (f" dated before {date}" if date else "")
           + f" in golfcheck's leaderboard snapshot of {snap}")
    if date is None:
        why += "; the submission has no date (folder name or submission.json), so every entry counts"
    return Sota(best["folder"], vals, best.get("c"), "leaderboard", best.get("pr"), why=why)


# ------------------------------------------------------------------ validation
def validate(
    sub: Submission,
    required: int = 3,
    sota: Sota | None = None,
    profile: str = "record",
    logs: LogsResult | None = None,
    use_leaderboard: bool = True,
    systems_only: bool = False,
) -> ValidateResult:
    logs = logs or analyse_logs(sub, profile)
    seeds = logs.scored_values()
    name = Path(sub.root).resolve().name
    if sota is not None and sota.source == "folder" and (
            sota.path == str(Path(sub.root).resolve()) or sota.name == name
            or (seeds and sorted(seeds.values()) == sorted(sota.values))):
        raise GolfcheckError(f"--sota {sota.name} is the folder being validated (the same folder or the same "
                             "per-seed values): a record cannot be compared with itself", str(sub.root))
    from golfcheck.history import record_date

    date = record_date(Path(sub.root), sub.submission_json if isinstance(sub.submission_json, dict) else None)
    if sota is None and use_leaderboard:
        sota = sota_from_leaderboard(name, values=list(seeds.values()), date=date)
    res = ValidateResult(seeds, sota, None, required=required)
    anchor_rel = logs.rows[0].run.log if logs.rows else json_rel(sub)
    if sota is not None and sota.source == "leaderboard" and date is None and Path(sub.root).is_dir():
        res.findings.append(finding(
            "GC602", Severity.WARNING, sub, anchor_rel, 1,
            f"folder name {name!r} has no YYYY-MM-DD date (nor does submission.json), so the SOTA is the best entry "
            f"of the whole leaderboard snapshot ({sota.name}), possibly later than this submission: name the folder "
            "YYYY-MM-DD_Name or give --sota", README_RULES, profile, kind="paperwork"))
    if len(seeds) < required:
        res.findings.append(finding(
            "GC602", Severity.ERROR, sub, anchor_rel, 1,
            f"{len(seeds)} distinct seed(s) with a scored val_bpb "
            f"({', '.join(map(str, sorted(seeds))) or 'none'}); {required} required for a record",
            ruling=README_RULES, profile=profile))
    if sota is None or len(seeds) < 2:
        return res
    c_new = c_of(logs)
    c_sota = sota.c or c_new or C_BY_TOKENIZER["sp8192"]
    x = [seeds[s] for s in sorted(seeds)]
    cmp = compare(x, sota.values, c_sota, c_new)
    if sota.c is None:
        cmp.notes.append(f"SOTA bpb/nats ratio unknown; using c={c_sota:.5f}")
    res.comparison = cmp.to_dict()
    if systems_only:
        from golfcheck.stats import welch_two_sided

        two = welch_two_sided(x, sota.values)
        res.comparison["systems_only"] = {"p": two.p, "t": two.t, "df": two.df, "unchanged": bool(two.p is not None and two.p > 0.05)}
        if two.p is not None and two.p <= 0.05:
            res.findings.append(finding(
                "GC602", Severity.WARNING, sub, anchor_rel, 1,
                f"systems-only claim, but val_bpb changed (two-sided Welch p={two.p:.3g} <= 0.05): "
                f"mean {cmp.mean:.5f} vs SOTA {cmp.sota_mean:.5f}; the significance waiver needs unchanged ML",
                README_RULES, profile))
        else:
            res.findings.append(finding(
                "GC602", Severity.NOTE, sub, anchor_rel, 1,
                f"systems-only: significance waived; val_bpb unchanged within noise (two-sided Welch p={_p(two.p)})",
                README_RULES, profile))
        return res
    strict_ok = res.comparison["strict"]["pass"]
    prog_ok = res.comparison["progression"]["pass"]
    sp, pp = res.comparison["strict"]["p"], res.comparison["progression"]["p"]
    desc = (f"mean {cmp.mean:.5f} (n={cmp.n}) vs SOTA {sota.name} {cmp.sota_mean:.5f} (m={cmp.m}): "
            f"Δ {cmp.delta_bpb:+.5f} bpb / {cmp.delta_nats:+.5f} nats; strict p={_p(sp)} (α={ALPHA_STRICT}), "
            f"progression p={_p(pp)} (α={ALPHA_PROGRESSION})")
    if strict_ok:
        res.findings.append(finding("GC602", Severity.NOTE, sub, anchor_rel, 1,
                                    "record evidence passes the strict test: " + desc, README_RULES, profile))
    elif prog_ok:
        res.findings.append(finding("GC602", Severity.NOTE, sub, anchor_rel, 1,
                                    "passes only the maintainers' progression test (PR #1902), not the README's "
                                    "0.005-nat test: " + desc, RULING_1902, profile))
    elif profile == "non-record":
        # the non-record track makes no SOTA claim: report the comparison, do not hold the PR on it
        res.findings.append(finding("GC602", Severity.NOTE, sub, anchor_rel, 1,
                                    "non-record track (no SOTA claim needed); for reference: " + desc, RULING_1902, profile))
    else:
        res.findings.append(finding("GC602", Severity.WARNING, sub, anchor_rel, 1,
                                    "no significant improvement over the SOTA: " + desc, RULING_1902, profile))
    return res


def _p(p: float | None) -> str:
    return "n/a" if p is None else f"{p:.3g}"


# ------------------------------------------------------------------ leaderboard snapshot builder
def build_leaderboard(records_root: str | Path, snapshot: str = "") -> dict:
    """Per-seed rows of the record track, derived from a ``records/`` tree's logs and JSON."""
    root = Path(records_root) / "track_10min_16mb"
    rows = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        sub = load_submission(folder)
        res = analyse_logs(sub, "history")
        values = res.scored_values()
        if not values:
            continue
        data = sub.submission_json if isinstance(sub.submission_json, dict) else {}
        m = _DATE.match(folder.name)
        track = data.get("track") if isinstance(data.get("track"), str) else None
        non_record = "ternary" in folder.name.lower() or bool(track and "non" in track.lower())
        seeds = {str(s): v for s, v in sorted(values.items())}
        c = c_of(res)
        rows.append({
            "folder": folder.name,
            "pr": KNOWN_PRS.get(folder.name),
            "date": m.group(1) if m else None,
            "seeds": seeds,
            "mean": round(sum(values.values()) / len(values), 8),
            "c": None if c is None else round(c, 5),
            "logs": {str(s): r.run.log for s, r in sorted(res.seeds().items())},
            # frontier candidates: record rows with ≥ 2 seeds that were not accepted as non-record
            "frontier": (not non_record) and len(values) >= 2,
        })
    return {
        "snapshot": snapshot,
        "description": "Per-seed val_bpb of the merged record-track folders, parsed from their logs "
                       "(scored line per SUBMISSION_FORMAT §3.3); c = bpb/nats of the scored lines.",
        "rows": rows,
    }
