"""Text rendering and exit codes shared by the size/logs/validate/check commands."""

from __future__ import annotations

import json

from golfcheck.escape import one_line
from golfcheck.findings import Finding, Report, fails, verdict_line


def findings_text(findings: list[Finding]) -> str:
    from golfcheck.formatters import text

    return text(Report(findings=list(findings)))


def dump_json(obj) -> str:
    return json.dumps(obj, indent=2, default=str) + "\n"


def exit_code(findings: list[Finding], fail_on: str) -> int:
    return 1 if fails(findings, fail_on) else 0


def counts_line(findings: list[Finding] | Report) -> str:
    """``1 error(s) (1 paperwork), ... — verdict INCOMPLETE (rules CLEAN, paperwork INCOMPLETE)``."""
    from golfcheck.formatters import counts_text

    report = findings if isinstance(findings, Report) else Report(findings=list(findings))
    return f"{counts_text(report)} — {verdict_line(report)}"


def with_verdicts(d: dict, findings: list[Finding]) -> dict:
    """A command's JSON with the three verdict words first (the same words as its text output)."""
    return {**Report(findings=list(findings)).verdicts(), **d}


def fmt_num(v, spec: str = "", none: str = "-") -> str:
    if v is None:
        return none
    try:
        return format(v, spec)
    except (TypeError, ValueError):
        return str(v)


def table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    out = ["  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip()]
    out.append("  ".join("-" * w for w in widths))
    for r in rows:
        out.append("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
    return "\n".join(out) + "\n"


def logs_table(logs: dict) -> str:
    rows, why = [], []
    for r in logs.get("runs", []):
        flag = ""
        if r.get("duplicate_of"):
            flag = f"duplicate of {r['duplicate_of']}"
        elif r.get("counted"):
            flag = "counted"
        if r.get("agrees_with_json") is False:
            flag += (", " if flag else "") + f"json says {r.get('claimed_val_bpb')}"
        if r.get("seed_source") == "file name":
            flag += (", " if flag else "") + "seed from file name"
        log = one_line(r["log"]) + (f"#{r['run'] + 1}" if r.get("run") else "")
        scored = one_line(f"{r['scored_label']} (line {r['scored_line']})") if r.get("scored_label") else "-"
        rows.append([
            log, fmt_num(r.get("seed")), fmt_num(r.get("val_bpb"), ".8f"), fmt_num(r.get("val_loss"), ".8f"),
            fmt_num(r.get("train_seconds"), ".3f"), fmt_num(r.get("eval_seconds"), ".1f"),
            fmt_num(r.get("total_bytes"), ","), scored, flag,
        ])
        if r.get("scored_label") and not r.get("duplicate_of"):
            line = one_line(f"  {log}: line {r['scored_line']} `{r['scored_label']}` because it "
                            f"{_because(r.get('scored_why', ''))}")
            skipped = r.get("skipped_lines") or []
            if skipped:
                line += one_line("; skipped later: " + "; ".join(
                    f"line {k['line']} `{k['label']}` {k['val_bpb']} ({k['reason']})" for k in skipped))
            why.append(line)
    out = table(["log", "seed", "val_bpb", "val_loss", "train_s", "eval_s", "total_bytes", "scored line", ""], rows)
    if why:
        out += "why each scored line:\n" + "\n".join(why) + "\n"
    return out


def _because(why: str) -> str:
    """``matches ...`` / ``priority (...)`` as the end of "because it ..."."""
    if why.startswith("matches"):
        return why
    if why.startswith("matched"):
        return "matches" + why[len("matched"):]
    if why.startswith("priority"):
        return "ranks first by priority (TTT > sliding window > round-trip, _exact first)" + why[len("priority"):]
    return f"is the {why}" if why else "was chosen"


def size_text(size: dict) -> str:
    lim = size.get("limit", 16_000_000)
    tot = size.get("total_bytes")
    room = "" if tot is None else (f" (headroom {lim - tot:,})" if tot <= lim else f" (OVER the cap by {tot - lim:,})")
    head = (f"artifact: code {fmt_num(size.get('code_bytes'), ',')} + model {fmt_num(size.get('model_bytes'), ',')}"
            f" = {fmt_num(tot, ',')} bytes of {lim:,}{room}"
            + (f"; compressor {size['compressor']}" if size.get("compressor") else "")
            + (f"; from {one_line(size['source'])}" if size.get("source") else ""))
    lines = [head]
    files = size.get("code_files", [])
    if files:
        lines.append(f"counted code ({len(files)} file{'s' if len(files) != 1 else ''}, "
                     f"{sum(c['bytes'] for c in files):,} bytes as shipped):")
        for c in files:
            lines.append(f"  {one_line(c['path'])}: {c['bytes']:,} bytes — {one_line(c.get('reason') or 'counted')}")
        cc = size.get("code_bytes_compressed")
        if cc is not None:
            lines.append(f"  (the logs count the script's own compressed form: {cc:,} bytes)")
    for c in size.get("not_counted", []):
        lines.append(f"not counted: {one_line(c['path'])}: {fmt_num(c.get('bytes'), ',')} bytes — {one_line(c['reason'])}")
    for m in size.get("model_files", []):
        dec = m.get("decompressed_bytes")
        lines.append(f"model  {one_line(m['path'])}: {m['bytes']:,} bytes, {m.get('compressor') or 'unknown'}"
                     + (f", decompresses to {dec:,} bytes" if dec is not None else f" ({m.get('problem') or 'unreadable'})"))
    for e in size.get("per_seed", []):
        lt = e.get("log_total_bytes")
        lines.append(f"log    {one_line(e['log'])} seed {fmt_num(e.get('seed'))}: model {fmt_num(e.get('model_bytes'), ',')}"
                     f" + code {fmt_num(e.get('code_bytes'), ',')} = total {fmt_num(e.get('total_bytes'), ',')}"
                     + (f" ({e['format']})" if e.get("format") else "")
                     + (f"; the log prints {lt:,}" if lt is not None and lt != e.get("total_bytes") else ""))
    return "\n".join(lines) + "\n"


def validate_text(v: dict) -> str:
    def p(x):
        return "n/a" if x is None else f"{x:.4g}"

    lines = [f"seeds (n={v['n']}, {v.get('required_seeds', 3)} required): "
             + (", ".join(f"{k}={val:.8f}" for k, val in v.get("seeds", {}).items()) or "none")]
    sota = v.get("sota")
    if sota:
        lines.append(f"SOTA: {sota['name']} ({sota['source']}" + (f", PR #{sota['pr']}" if sota.get("pr") else "")
                     + f"), m={v['m']}: " + ", ".join(f"{x:.8f}" for x in sota["values"]))
        if sota.get("why"):
            lines.append(f"  chosen: {sota['why']}")
    if v.get("sota_mean") is not None and v.get("mean") is not None:
        lines.append(f"mean {v['mean']:.8f} (std {fmt_num(v.get('std'), '.8f')})  vs  SOTA mean "
                     f"{v['sota_mean']:.8f} (std {fmt_num(v.get('sota_std'), '.8f')})")
        lines.append(f"Δ = {v['delta_bpb']:+.8f} bpb = {v['delta_nats']:+.8f} nats (c_SOTA={v['c_sota']:.5f}"
                     + (f", c_new={v['c_new']:.5f}" if v.get("c_new") else "") + ")")
        s, g = v["strict"], v["progression"]
        lines.append(f"strict (README, margin 0.005 nats = {v['margin_bpb']:.6f} bpb, α=0.01): t={fmt_num(s.get('t'), '.3f')}"
                     f" df={fmt_num(s.get('df'), '.2f')} p={p(s.get('p'))} -> {'PASS' if s.get('pass') else 'fail'}")
        lines.append(f"progression (maintainer practice, PR #1902, no margin, α=0.25): t={fmt_num(g.get('t'), '.3f')}"
                     f" df={fmt_num(g.get('df'), '.2f')} p={p(g.get('p'))} -> {'PASS' if g.get('pass') else 'fail'}")
        if v.get("each_seed_beats_margin") is not None:
            lines.append(f"every seed beats SOTA mean − margin: {'yes' if v['each_seed_beats_margin'] else 'no'}")
        so = v.get("systems_only")
        if so:
            lines.append(f"systems-only (two-sided Welch, unchanged iff p > 0.05): p={p(so.get('p'))} -> "
                         f"{'unchanged' if so.get('unchanged') else 'CHANGED'}")
        for n in v.get("notes", []):
            lines.append(f"note: {n}")
    elif not sota:
        lines.append("SOTA: none found (give --sota FOLDER or --sota-bpb v1,v2,...)")
    return "\n".join(lines) + "\n"
