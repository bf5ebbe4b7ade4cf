"""The PR writeup: README.md and submission.json rendered from a folder's Report and parsed logs.

Every per-seed number is taken from the log line that prints it and carries that ``file:line``;
means and standard deviations are computed from those numbers. submission.json is built in Python
(a dict, then ``json.dumps``) rather than with a template: JSON needs exact escaping and typed
numbers, and the strict schema check runs on the same dict that is written. README.md is rendered
with Jinja from ``templates/pr_readme.md.j2``.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import json
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from statistics import fmean, stdev

from golfcheck.checks.common import LIMIT_BYTES, LIMIT_SECONDS, README_RULES, RULING_1017, RULING_1902, profile_of
from golfcheck.errors import GolfcheckError
from golfcheck.escape import md, md_code
from golfcheck.findings import Finding, Report, sort_key
from golfcheck.logs import Run
from golfcheck.submission import Submission

_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})_(.+)$")
TRACK_JSON = {"record": "10min_16mb", "non-record": "non_record_16mb"}
DEFAULT_COMMAND = "torchrun --standalone --nproc_per_node=8 train_gpt.py"

# The compliance checklist: (rule ids or id prefixes, what is checked, the ruling it rests on).
CHECKLIST = (
    (("GC501",), "Artifact ≤ 16,000,000 bytes (counted code + compressed model), every seed", README_RULES),
    (("GC502",), "All counted code lives in train_gpt.py", README_RULES),
    (("GC504",), "Training ≤ 600 s on 8×H100 SXM, GPTQ calibration on training data included", README_RULES),
    (("GC505",), "Evaluation ≤ 600 s", README_RULES),
    (("GC602", "GC506"), "Enough distinct seeds, chosen in advance, with their logs; significance vs SOTA",
     README_RULES + "; " + RULING_1902),
    (("GC601",), "The full validation split is scored", RULING_1017),
    (("GC603", "GC604", "GC605"), "submission.json agrees with the logs; folder layout", README_RULES),
    (("GC1",), "Causal, normalized evaluation: each token scored once, before any update that saw it", RULING_1017),
    (("GC2",), "No adaptation on validation tokens before they are scored", RULING_1017),
    (("GC3",), "No validation data in training; no training data or network access at evaluation", RULING_1017),
    (("GC4",), "val_bpb byte accounting from the tokenizer's raw bytes", RULING_1017),
    (("GC0",), "Submitted code is auditable (parses, no opaque wrappers, suppressions reported)", README_RULES),
)
ICON = {"pass": "✅", "note": "✅", "warning": "⚠️", "error": "❌"}


def environment():
    """The Jinja environment over the shipped templates (checkout or installed package alike)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(resources.files("golfcheck.templates"))),
        autoescape=False, keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["bytes"] = lambda v: "–" if v is None else f"{int(v):,}"
    env.filters["num"] = lambda v, spec="": "–" if v is None else format(v, spec)
    env.filters["cell"] = md  # untrusted text (file names, messages quoting the submission) made inert
    env.filters["code"] = md_code
    env.filters["pval"] = lambda v: "n/a" if v is None else (f"{v:.4f}" if v >= 1e-4 else f"{v:.2e}")
    return env


# ------------------------------------------------------------------ the per-seed table
@dataclass
class SeedRow:
    seed: int
    log: str
    label: str
    val_bpb: float
    val_bpb_text: str
    val_loss: float | None
    val_loss_text: str
    train_s: float | None
    train_data_s: float | None
    eval_s: float | None
    total_bytes: int | None
    model_bytes: int | None
    model_format: str | None
    code_bytes: int | None
    steps: int | None
    sources: dict[str, str] = field(default_factory=dict)  # field -> "log:line (what the line says)"


def seed_rows(logs, order: list[int] | None = None, size: dict | None = None) -> list[SeedRow]:
    """One row per distinct in-log seed: the run counted for it, with the line of every number.
    ``size`` (the size section) gives each run's artifact bytes by golfcheck's counting rule."""
    counted = logs.seeds()
    sized = {(e["log"], e["run"]): e for e in (size or {}).get("per_seed", [])}
    seeds = [s for s in (order or []) if s in counted] + sorted(s for s in counted if s not in (order or []))
    rows = []
    for s in seeds:
        r: Run = counted[s].run
        m = r.scored
        if m is None:
            continue
        dec = max(m.decimals, 4)
        row = SeedRow(
            seed=s, log=r.log, label=m.label, val_bpb=m.bpb, val_bpb_text=m.bpb_text, val_loss=m.loss,
            val_loss_text="–" if m.loss is None else f"{m.loss:.{dec}f}",
            train_s=r.train_seconds, train_data_s=r.train_data_seconds, eval_s=r.eval_seconds(),
            total_bytes=None if r.total_bytes is None else int(r.total_bytes.value),
            model_bytes=None if r.model_bytes is None else int(r.model_bytes.value), model_format=r.model_format,
            code_bytes=_code_bytes(r), steps=r.stop_step or r.last_step,
        )
        e = sized.get((r.log, r.index))
        if e is not None:
            row.total_bytes, row.model_bytes, row.code_bytes = e["total_bytes"], e["model_bytes"], e["code_bytes"]
        src = row.sources
        src["val_bpb / val_loss"] = f"{r.log}:{m.line} (`{m.label}`)"
        seed_src = counted[s].seed_source
        if r.train_ms is not None:
            src["train"] = f"{r.log}:{r.train_ms.line} (" + ("`stopping_early`" if r.stopping else "last step line") + ")"
        if r.hessian_s is not None:
            src["GPTQ Hessians"] = f"{r.log}:{r.hessian_s.line}"
        if r.total_eval_s is not None:
            src["eval"] = f"{r.log}:{r.total_eval_s.line} (`total_eval_time`)"
        elif row.eval_s is not None:
            src["eval"] = f"{r.log}:{m.line} (eval passes up to the scored line)"
        if r.total_bytes is not None:
            src["bytes"] = f"{r.log}:{r.total_bytes.line} (`Total submission size`)"
            if e is not None and e["total_bytes"] != e["log_total_bytes"]:
                src["bytes"] += (f" {e['log_total_bytes']:,} − the {e['log_code_bytes']:,} code bytes it counts + "
                                 f"the {e['code_bytes']:,} counted code bytes (see Artifact)")
        if r.model_bytes is not None:
            src["model"] = f"{r.log}:{r.model_bytes.line} (`Serialized model`)"
        code = r.code_bytes_compressed or r.code_bytes or r.code_bytes_uncompressed
        if code is not None:
            src["code"] = f"{r.log}:{code.line} (`Code size`)"
        if seed_src == "file name":
            src["seed"] = f"{r.log} (file name; the log prints no seed)"
        elif r.seed is not None:
            src["seed"] = f"{r.log}:{r.seed.line}"
        rows.append(row)
    return rows


def _code_bytes(r: Run) -> int | None:
    for v in (r.code_bytes_compressed, r.code_bytes, r.code_bytes_uncompressed):
        if v is not None:
            return int(v.value)
    return None


def _stats(values: list[float]) -> tuple[float | None, float | None]:
    if not values:
        return None, None
    return fmean(values), (stdev(values) if len(values) >= 2 else None)


# ------------------------------------------------------------------ compliance checklist
def _ids_match(rule: str, keys: tuple[str, ...]) -> bool:
    return any(rule == k or (len(k) < 5 and rule.startswith(k)) for k in keys)


def _ruling_for(keys: tuple[str, ...], fallback: str) -> str:
    """The catalogue's ruling when the item names one catalogued rule, else the item's own."""
    if len(keys) == 1 and len(keys[0]) == 5:
        try:
            from golfcheck.rules import get_rule

            rule = get_rule(keys[0])
        except Exception:  # noqa: BLE001 - the catalogue is optional for rendering
            rule = None
        if rule is not None and rule.rulings:
            return rule.rulings[0].cite()
    return fallback


def _id_label(keys: tuple[str, ...]) -> str:
    return ", ".join(k if len(k) == 5 else f"{k}xx" for k in keys)


# What the timing items say on the non-record track, where the budgets do not gate.
NON_RECORD_WHAT = {
    "GC504": "Training time (the 600 s budget gates the record track only)",
    "GC505": "Evaluation time (the 600 s budget gates the record track only)",
    "GC602": "Seeds and their logs (no significance requirement on the non-record track)",
}


def checklist(findings: list[Finding], measured: dict[str, str], profile: str = "record") -> list[dict]:
    """Checklist items: status from the findings in the item's id range, with the measured value."""
    items = []
    used: set[int] = set()
    for keys, what, ruling in CHECKLIST:
        if profile == "non-record":
            what = NON_RECORD_WHAT.get(keys[0], what)
        mine = [f for f in sorted(findings, key=sort_key) if not f.suppressed and _ids_match(f.rule, keys)]
        used.update(id(f) for f in mine)
        worst = max((f.severity.rank for f in mine), default=0)
        status = {3: "error", 2: "warning", 1: "note"}.get(worst, "pass")
        items.append({"ids": _id_label(keys), "what": what, "status": status, "icon": ICON[status],
                      "measured": measured.get(keys[0], ""), "ruling": _ruling_for(keys, ruling),
                      "findings": [_finding_line(f) for f in mine]})
    rest = [f for f in sorted(findings, key=sort_key) if id(f) not in used and not f.suppressed]
    if rest:
        worst = max(f.severity.rank for f in rest)
        status = {3: "error", 2: "warning", 1: "note"}[worst]
        items.append({"ids": ", ".join(sorted({f.rule for f in rest})), "what": "Other findings", "status": status,
                      "icon": ICON[status], "measured": "", "ruling": "see each finding",
                      "findings": [_finding_line(f) for f in rest]})
    return items


def _finding_line(f: Finding) -> dict:
    return {"rule": f.rule, "severity": f.severity.value, "where": f.short_location,
            "message": f.message, "ruling": f.ruling}


# ------------------------------------------------------------------ context
@dataclass
class Writeup:
    folder: Path
    profile: str
    context: dict
    submission: dict
    readme: str
    schema_errors: list[str]
    report: Report
    kept_sections: list[str] = field(default_factory=list)  # the author's README sections carried over
    replaced_keys: dict[str, str] = field(default_factory=dict)  # old submission.json key -> what replaces it

    def files(self) -> dict[str, str]:
        return {"README.md": self.readme, "submission.json": dump_json(self.submission)}


def dump_json(data: dict) -> str:
    """submission.json as written: two-space indent, UTF-8 kept readable, final newline."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _rel_findings(findings: list[Finding], root: Path) -> list[Finding]:
    from dataclasses import replace

    pre = [str(root) + "/", str(root.resolve()) + "/"]
    out = []
    for f in findings:
        p = f.path
        for x in pre:
            if p.startswith(x):
                p = p[len(x):]
        if p in (str(root), str(root.resolve())):
            p = "."
        out.append(replace(f, path=p))
    return out


def run_command(sub: Submission, runs: list[Run] | None = None) -> list[str]:
    """The author's run command from the existing README (continuation lines joined; SEED, the seed
    loop and output redirection removed), as lines of environment settings + the command. Any
    command that runs the counted script counts (``torchrun ...``, ``python train_gpt.py``); with none,
    ``python <script>`` for CPU logs, else the challenge's torchrun line."""
    text = sub.readme.text if sub.readme else ""
    script = sub.counted_file.rel if sub.counted_file else "train_gpt.py"
    blocks = re.findall(r"```[^\n]*\n(.*?)```", text, re.S)
    for block in blocks:
        for cmd in _logical_lines(block):
            if cmd.startswith("#") or not ("torchrun" in cmd or re.search(rf"\bpython3?\b.*{re.escape(script)}", cmd)):
                continue
            cmd = re.sub(r"^\$\s+", "", cmd)
            cmd = re.sub(r"^for\s+\w+\s+in\s+[^;]*;\s*do\s+", "", cmd)
            cmd = re.sub(r"\s*(?:[12]?>>?\s*\S+|2>&1|\|\s*tee\b.*|;\s*done\b.*)", "", cmd)
            tokens = [t for t in cmd.split() if not t.startswith("SEED=")]
            i = next((k for k, t in enumerate(tokens) if not _ENV.match(t)), len(tokens))
            env, rest = tokens[:i], " ".join(tokens[i:])
            if rest:
                return _wrap(env) + [rest]
    if runs and all(r.device == "cpu" for r in runs):
        return [f"python {script}"]
    return [DEFAULT_COMMAND.replace("train_gpt.py", script)]


_ENV = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


def _logical_lines(block: str) -> list[str]:
    out, cur = [], ""
    for line in block.splitlines():
        s = line.strip()
        cur = f"{cur} {s}".strip() if cur else s
        if cur.endswith("\\"):
            cur = cur[:-1].rstrip()
            continue
        out.append(cur)
        cur = ""
    if cur:
        out.append(cur)
    return out


def _wrap(tokens: list[str], width: int = 80) -> list[str]:
    lines, cur = [], ""
    for t in tokens:
        if cur and len(cur) + 1 + len(t) > width:
            lines.append(cur)
            cur = t
        else:
            cur = f"{cur} {t}".strip()
    return lines + ([cur] if cur else [])


def _included_files(sub: Submission) -> list[dict]:
    """Every file of the folder with its size; the two rendered files are listed without one."""
    root = Path(sub.root)
    out = [{"path": "README.md", "bytes": None}, {"path": "submission.json", "bytes": None}]
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if p.is_file() and not p.is_symlink() and ".git" not in p.relative_to(root).parts and rel not in (
                "README.md", "submission.json"):
            out.append({"path": rel, "bytes": p.stat().st_size})
    return out


def build(path: str | Path, profile: str | None = None, sota=None, overrides: dict | None = None) -> Writeup:
    """Parse the logs, build submission.json from them, then run every folder check on a copy of the
    folder that holds the new submission.json, so the checklist describes the folder as written."""
    from golfcheck.checks import evidence
    from golfcheck.checks.folder import folder, logs_of, size_of
    from golfcheck.checks.metadata import schema_errors

    sub = folder(path)
    prof = profile_of(sub, profile)
    if prof == "history":
        prof = "record"
    logs = logs_of(sub, prof)
    size = size_of(sub, prof).to_dict()
    data = sub.submission_json if isinstance(sub.submission_json, dict) else {}
    rows = seed_rows(logs, evidence.declared_seeds(data), size)
    if not rows:
        raise GolfcheckError("no log in the folder has a scored val_bpb line: nothing to write up "
                             "(run `golfcheck logs` on it to see what was parsed)", str(path))
    root_name = Path(sub.root).resolve().name
    m = _DATE.match(root_name)
    over = {k: v for k, v in (overrides or {}).items() if v}
    ctx = _numbers(rows, [c.run for c in logs.seeds().values()])
    if size.get("total_bytes") is not None:  # the one sum every command reports
        ctx["max_total"] = size["total_bytes"]
    ctx["code_bytes"] = size.get("code_bytes")
    ctx.update(name=over.get("name") or data.get("name") or (m.group(2) if m else root_name),
               folder=root_name, profile=prof, record=prof == "record")
    js = submission_json(data, ctx, over, m.group(1) if m else None, rows)
    report = _check_as_written(sub, prof, sota, js)
    findings = report.findings
    sec = report.sections
    val = {**_VALIDATE_KEYS, **sec.get("validate", {})}
    for test in ("strict", "progression"):
        val[test] = {"p": None, "t": None, "df": None, "pass": False, **(val.get(test) or {})}
    ctx.update(
        size=sec.get("size", {}), wallclock=sec.get("wallclock", {}), val=val, sota=val.get("sota"),
        verdict=report.verdict.value, rule_verdict=report.rule_verdict.value,
        paperwork_verdict=(report.paperwork_verdict.value if report.paperwork_verdict else "not checked"), command=run_command(sub, [c.run for c in logs.seeds().values()]),
        requirements=(Path(sub.root) / "requirements.txt").is_file(), files=_included_files(sub),
        suppressions=[_finding_line(f) for f in findings if f.rule == "GC003"],
    )
    ctx["checklist"] = checklist(findings, _measured(ctx, val), prof)
    errors = [msg for msg, _ in schema_errors(js, prof)]
    readme = environment().get_template("pr_readme.md.j2").render(**ctx)
    readme, kept = keep_author_sections(readme, sub.readme.text if sub.readme else None)
    w = Writeup(Path(sub.root), prof, ctx, js, readme, errors, report)
    w.kept_sections, w.replaced_keys = kept, replaced_keys(data)
    return w


# Every key the template reads from the validate section (absent when no test could run).
_VALIDATE_KEYS = dict.fromkeys(("n", "m", "mean", "sota_mean", "std", "sota_std", "delta_bpb", "delta_nats", "c_sota",
                                "c_new", "margin_bpb", "each_seed_beats_margin", "sota", "strict", "progression", "notes"))


def _numbers(rows: list[SeedRow], runs: list[Run]) -> dict:
    """Means, stds and maxima of the per-seed numbers, and the hardware the logs show."""
    bpb_mean, bpb_std = _stats([r.val_bpb for r in rows])
    loss_mean, loss_std = _stats([r.val_loss for r in rows if r.val_loss is not None])
    totals = [r.total_bytes for r in rows if r.total_bytes is not None]
    trains = [r.train_s for r in rows if r.train_s is not None]
    train_data = [r.train_data_s for r in rows if r.train_data_s is not None]
    evals = [r.eval_s for r in rows if r.eval_s is not None]
    hardware = _hardware(runs)
    return {
        "rows": rows, "n": len(rows), "seeds": [r.seed for r in rows],
        "mean_bpb": bpb_mean, "std_bpb": bpb_std, "mean_loss": loss_mean, "std_loss": loss_std,
        "max_total": max(totals) if totals else None, "limit": LIMIT_BYTES, "limit_s": LIMIT_SECONDS,
        "max_train": max(trains) if trains else None,
        "max_train_data": max(train_data) if train_data else None,
        "max_eval": max(evals) if evals else None,
        "hardware": hardware["text"], "gpus": hardware["gpus"], "torch": hardware["torch"],
        "scored_label": rows[0].label if rows and len({r.label for r in rows}) == 1 else "scored",
        "all_within": bool(rows) and all(
            (r.total_bytes is None or r.total_bytes <= LIMIT_BYTES)
            and (r.train_data_s is None or r.train_data_s <= LIMIT_SECONDS)
            and (r.eval_s is None or r.eval_s <= LIMIT_SECONDS) for r in rows),
    }


def _measured(ctx: dict, val: dict) -> dict[str, str]:
    """The measured value printed next to a checklist item."""
    mt, mtd = ctx["max_train"], ctx["max_train_data"]
    return {
        "GC501": "" if ctx["max_total"] is None else
        f"max {ctx['max_total']:,} bytes, headroom {LIMIT_BYTES - ctx['max_total']:,}",
        "GC504": _join([f"max train {mt:.1f} s" if mt is not None else "",
                        f"train + GPTQ Hessians {mtd:.1f} s" if mtd is not None and mtd != mt else "",
                        ctx["hardware"]]),
        "GC505": "" if ctx["max_eval"] is None else f"max eval {ctx['max_eval']:.1f} s",
        "GC602": _join([f"{ctx['n']} seed(s): {', '.join(map(str, ctx['seeds']))}",
                        f"strict p = {_p(val['strict']['p'])}, progression p = {_p(val['progression']['p'])}"
                        if val["delta_bpb"] is not None else ""]),
    }


def _check_as_written(sub: Submission, profile: str, sota, js: dict) -> Report:
    """Every folder check on a temporary copy holding the rendered submission.json (paths made
    relative to the folder)."""
    import shutil
    import tempfile

    from golfcheck.checks.folder import check_folder

    track = sub.track or ("track_non_record_16mb" if profile == "non-record" else "track_10min_16mb")
    with tempfile.TemporaryDirectory(prefix="golfcheck-writeup-") as tmp:
        copy = Path(tmp) / "records" / track / Path(sub.root).resolve().name
        shutil.copytree(sub.root, copy, symlinks=True, ignore=shutil.ignore_patterns(".git"))
        (copy / "submission.json").write_text(dump_json(js), encoding="utf-8")
        if not (copy / "README.md").exists():
            (copy / "README.md").write_text("# rendered by golfcheck writeup\n", encoding="utf-8")
        report = check_folder(copy, profile=profile, sota=sota)
        report.findings = _rel_findings(report.findings, copy)
        report.files = [str(Path(f).relative_to(copy)) if str(f).startswith(str(copy)) else f for f in report.files]
    return report


def _join(parts: list[str]) -> str:
    return "; ".join(p for p in parts if p)


def _p(p) -> str:
    return "n/a" if p is None else (f"{p:.4f}" if p >= 1e-4 else f"{p:.2e}")


def _hardware(runs: list[Run]) -> dict:
    world = sorted({int(r.world_size.value) for r in runs if r.world_size is not None})
    gpus = sorted({g for r in runs for g in r.gpu_names})
    torch = next((r.torch for r in runs if r.torch), None)
    if gpus:
        count = max((r.gpu_count for r in runs), default=0) or (world[0] if world else 0)
        text = f"{count}×{'/'.join(gpus)}"
    elif runs and all(r.device == "cpu" for r in runs):
        text = "CPU" + (f" ({'/'.join(map(str, world))} process{'es' if world != [1] else ''})" if world else "")
    elif world:
        text = f"{'/'.join(map(str, world))} GPUs, model not logged"
    else:
        text = ""
    return {"text": text, "world": world, "gpus": gpus, "torch": torch}


def submission_json(data: dict, ctx: dict, over: dict, folder_date: str | None, rows: list[SeedRow]) -> dict:
    """The author's fields (kept from the existing file or given as options) + every measured field
    recomputed from the logs."""
    out: dict = {}
    for key in ("author", "github_id", "name", "blurb", "date"):
        v = over.get(key) or data.get(key)
        if key == "name":
            v = ctx["name"]
        if key == "date" and not v:
            v = folder_date or _dt.date.today().isoformat()
        if v:
            out[key] = v
    out["track"] = TRACK_JSON[ctx["profile"]]
    if ctx["mean_bpb"] is not None:
        out["val_bpb"] = round(ctx["mean_bpb"], 8)
    if ctx["mean_loss"] is not None:
        out["val_loss"] = round(ctx["mean_loss"], 8)
    if ctx["std_bpb"] is not None:
        out["val_bpb_std"] = round(ctx["std_bpb"], 8)
    if ctx["std_loss"] is not None:
        out["val_loss_std"] = round(ctx["std_loss"], 8)
    if rows:
        out["seeds"] = [r.seed for r in rows]
        out["seed_results"] = {}
        for r in rows:
            e: dict = {"val_bpb": float(r.val_bpb_text)}
            if r.val_loss is not None:
                e["val_loss"] = r.val_loss
            if r.total_bytes is not None:
                e["artifact_bytes"] = r.total_bytes
            if r.steps is not None:
                e["steps"] = int(r.steps)
            if r.train_s is not None:
                e["train_time_s"] = r.train_s
            if r.eval_s is not None:
                e["eval_time_s"] = r.eval_s
            e["source"] = r.sources["val_bpb / val_loss"].split(" ")[0]
            out["seed_results"][str(r.seed)] = e
    if ctx["max_total"] is not None:
        out["bytes_total"] = int(ctx["max_total"])
    codes = [r.code_bytes for r in rows if r.code_bytes is not None]
    if ctx.get("code_bytes") is not None:
        out["bytes_code"] = int(ctx["code_bytes"])
    elif codes:
        out["bytes_code"] = max(codes)
    # hardware: --hardware, else the GPU model the logs name, else the author's; never a guess such as
    # "8 GPUs, model not logged" (the record track's check would only warn about it)
    hw = over.get("hardware") or (ctx["hardware"] if ctx["gpus"] else None) or data.get("hardware") or (
        ctx["hardware"] if ctx["hardware"].startswith("CPU") else None)
    if hw:
        out["hardware"] = hw
    if ctx["torch"] or data.get("pytorch_version"):
        out["pytorch_version"] = ctx["torch"] or data.get("pytorch_version")
    measured = {
        "artifact_under_16mb": ctx["max_total"] is not None and ctx["max_total"] <= LIMIT_BYTES,
        "train_under_600s": ctx["max_train_data"] is not None and ctx["max_train_data"] <= LIMIT_SECONDS,
        "eval_under_600s": ctx["max_eval"] is not None and ctx["max_eval"] <= LIMIT_SECONDS,
        "three_seeds": len(rows) >= 3,
    }
    # the author's own compliance claims stay; golfcheck's measured four are set from the logs
    mine = data.get("compliance") if isinstance(data.get("compliance"), dict) else {}
    out["compliance"] = {**{k: v for k, v in mine.items() if k not in measured}, **measured}
    # anything else the author wrote stays (lineage, attribution, notes, claims, ...)
    for k, v in data.items():
        if k not in out and k not in REPLACED:
            out[k] = v
    return out


# Other names of the values golfcheck writes (a stale copy would contradict them): replaced by the
# key golfcheck writes, and said so. Every other key of the author's submission.json is kept.
REPLACED = {"seed_scores": "seed_results", "code_bytes": "bytes_code", "mean_val_bpb": "val_bpb",
            "mean_bpb": "val_bpb", "std_bpb": "val_bpb_std", "mean_val_loss": "val_loss",
            "mean_val_loss_nats": "val_loss", "std_val_loss_nats": "val_loss_std", "val_loss_nats": "val_loss",
            "val_loss_nats_std": "val_loss_std", "artifact_bytes_max": "bytes_total",
            "eval_time_seconds": "seed_results.*.eval_time_s"}


def replaced_keys(data: dict) -> dict[str, str]:
    """Keys of the existing submission.json that the writeup replaces, and by what."""
    return {k: v for k, v in REPLACED.items() if k in data}


# ------------------------------------------------------------------ the author's sections
PLACEHOLDER = "<!-- golfcheck: AUTHOR"
# Sections the author writes (the template leaves a placeholder, or a default the author may replace).
AUTHOR_SECTIONS = ("what changed", "credits", "requirements")


def _sections(text: str) -> list[tuple[str, str]]:
    """``[(heading line, body), ...]`` split at level-2 headings; the text before the first one has
    heading ``""`` (fenced code is never split)."""
    out: list[tuple[str, list[str]]] = [("", [])]
    fenced = False
    for line in text.splitlines(keepends=True):
        if line.lstrip().startswith("```"):
            fenced = not fenced
        if not fenced and line.startswith("## "):
            out.append((line, []))
        else:
            out[-1][1].append(line)
    return [(h, "".join(b)) for h, b in out]


def _key(heading: str) -> str:
    """``## Results (8×H100, ...)`` -> ``results``."""
    return heading[3:].split("(", 1)[0].strip().strip(":").lower()


def _placeholder(body: str) -> bool:
    return PLACEHOLDER in body or "_TODO (author)" in body


def keep_author_sections(rendered: str, existing: str | None) -> tuple[str, list[str]]:
    """The rendered README with the author's sections of the existing one kept: the body of every
    author section (What changed, Credits, Requirements) that is not a placeholder, and every section
    golfcheck does not render, in place after the section it followed. Returns the text and the
    headings kept."""
    if not existing:
        return rendered, []
    old = _sections(existing)
    mine = {_key(h): b for h, b in old if h and _key(h) in AUTHOR_SECTIONS and not _placeholder(b)}
    new = _sections(rendered)
    rendered_keys = {_key(h) for h, _ in new if h}
    kept = [h.strip() for h, _ in old if h and _key(h) in mine]
    # sections golfcheck does not render, each attached after the nearest section above it that it does
    extra: dict[str, list[tuple[str, str]]] = {}
    anchor = ""
    for h, b in old:
        k = _key(h) if h else ""
        if h and k not in rendered_keys:
            extra.setdefault(anchor, []).append((h, b))
            kept.append(h.strip())
        elif h:
            anchor = k
    out = []
    for h, b in new:
        k = _key(h) if h else ""
        out.append(h + (mine[k] if h and k in mine else b))
        for eh, eb in extra.pop(k, []):
            out.append(eh + eb)
    for rest in extra.values():  # anchors that no longer exist: keep them before the end
        out.extend(eh + eb for eh, eb in rest)
    return "".join(out), kept


# ------------------------------------------------------------------ writing
@dataclass
class Planned:
    path: Path
    text: str
    existing: str | None

    @property
    def changed(self) -> bool:
        return self.existing != self.text

    def diff(self) -> str:
        return "".join(difflib.unified_diff(
            (self.existing or "").splitlines(keepends=True), self.text.splitlines(keepends=True),
            fromfile=f"{self.path} (existing)", tofile=f"{self.path} (golfcheck writeup)"))


def plan(w: Writeup, output_dir: str | Path | None = None) -> list[Planned]:
    out_dir = Path(output_dir) if output_dir else w.folder
    res = []
    for name, text in w.files().items():
        p = out_dir / name
        existing = p.read_text(encoding="utf-8", errors="replace") if p.is_file() else None
        res.append(Planned(p, text, existing))
    return res


