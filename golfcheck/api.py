"""Library entry points used by the CLI, the gate and other tools."""

from __future__ import annotations

import gc
import hashlib
import os
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Iterable

from golfcheck import isolation
from golfcheck.engine import Options, build_context, run_rules
from golfcheck.errors import GolfcheckError
from golfcheck.findings import Finding, Report, Severity, sort_key
from golfcheck.submission import SKIP_DIRS, is_regular, load_submission

FOLDER_MARKERS = ("README.md", "submission.json")


@dataclass(frozen=True)
class Unit:
    """One audit unit: a submission folder (with its evidence) or a lone code file."""

    root: Path
    code: tuple[str, ...]  # paths relative to root
    folder: bool
    display_root: str  # prefix for finding paths, relative to the user's argument


def _is_submission_folder(d: Path) -> bool:
    try:
        names = {p.name for p in d.iterdir()}
    except OSError:
        return False
    return any(m in names for m in FOLDER_MARKERS) or any(n.startswith("train") and n.endswith(".py") for n in names)


def discover(paths: Iterable[str | Path]) -> list[Unit]:
    """Turn CLI arguments into audit units. Raises GolfcheckError for a missing path."""
    units: list[Unit] = []
    for arg in paths:
        p = Path(arg)
        if not p.exists():
            raise GolfcheckError("no such file or folder", str(arg))
        if p.is_file():
            units.append(Unit(p.parent, (p.name,), False, str(p.parent) if str(p.parent) != "." else ""))
            continue
        if not p.is_dir():
            raise GolfcheckError("not a regular file or folder (a FIFO, socket or device is never read)", str(arg))
        if _is_submission_folder(p) and any(p.glob("*.py")):
            code = tuple(sorted(str(f.relative_to(p)) for f in p.rglob("*.py")
                                if not (set(f.relative_to(p).parts) & SKIP_DIRS) and is_regular(f)))
            units.append(Unit(p, code, True, str(p)))
            continue
        # a tree of many submissions or loose files: group .py files by their nearest folder
        by_dir: dict[Path, list[str]] = {}
        for f in sorted(p.rglob("*.py")):
            rel_parts = f.relative_to(p).parts
            if set(rel_parts) & SKIP_DIRS or not is_regular(f):
                continue
            by_dir.setdefault(f.parent, []).append(f.name)
        for d, names in sorted(by_dir.items()):
            is_folder = _is_submission_folder(d)
            for name in names if not is_folder else [None]:
                if is_folder:
                    units.append(Unit(d, tuple(sorted(names)), True, str(d)))
                else:
                    units.append(Unit(d, (name,), False, str(d)))
    return units


def skipped_folders(paths: Iterable[str | Path]) -> list[str]:
    """Folders under the arguments that look like submissions (README.md or submission.json) but hold
    no .py file, so the audit has nothing to read in them (each is said, never skipped silently)."""
    out: list[str] = []
    for arg in paths:
        p = Path(arg)
        if not p.is_dir():
            continue
        for d in sorted([p, *(q for q in p.rglob("*") if q.is_dir() and not q.is_symlink())]):
            if set(d.relative_to(p).parts) & SKIP_DIRS or any(str(d).startswith(s + os.sep) for s in out):
                continue
            try:
                names = {q.name for q in d.iterdir()}
            except OSError:
                continue
            if any(m in names for m in FOLDER_MARKERS) and not any(
                    not (set(f.relative_to(d).parts) & SKIP_DIRS) for f in d.rglob("*.py")):
                out.append(str(d))
    return out


def unit_table(report: Report, units: list[Unit]) -> list[dict]:
    """Per audited folder: its files, its finding counts and its rule verdict (multi-folder audits)."""
    from golfcheck.findings import rule_verdict

    rows = []
    for unit in units:
        prefix = unit.display_root.rstrip("/") + "/" if unit.display_root not in ("", ".") else ""
        mine = [f for f in report.findings if f.path.startswith(prefix) and (unit.folder or
                f.path == _join(unit.display_root, unit.code[0]))] if prefix else list(report.findings)
        counts = {s: sum(1 for f in mine if f.severity.value == s and not f.suppressed) for s in ("error", "warning", "note")}
        rows.append({"path": unit.display_root or ".", "folder": unit.folder,
                     "files": len(unit.code), **counts, "verdict": rule_verdict(mine).value})
    return rows


@contextmanager
def _gc_paused():
    """Pause the cyclic garbage collector while one unit is audited.

    A parsed module is hundreds of thousands of small objects; allocation-triggered collections
    traverse them again and again (measured 30-50% of an audit's CPU). The analysis makes few
    reference cycles, so they are collected once, when the unit is done: a collection of the
    youngest generation only, which holds exactly what this unit allocated (a full collection
    would traverse the whole heap again after every unit).
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if not _DISPOSABLE:  # a forked worker exits next: nothing to free
            from golfcheck.facts import clear_memos

            clear_memos()
            if was:
                gc.enable()
                gc.collect(0)


def audit_unit(unit: Unit, options: Options) -> tuple[list[Finding], list[str]]:
    """Audit one unit; finding paths are made relative to the user's argument."""
    with _gc_paused():
        return _audit_unit(unit, options)


def _audit_unit(unit: Unit, options: Options) -> tuple[list[Finding], list[str]]:
    submission = load_submission(unit.root) if unit.folder else None
    unmerged = None
    if options.history:
        from golfcheck.history import is_merged, not_merged

        if not is_merged(unit.root):  # history is for merged records only
            unmerged = Finding("GC000", Severity.NOTE, unit.code[0] if unit.code else ".", 1, 0, not_merged(unit.root))
            options = replace(options, history=False)
    ctx = build_context(unit.root, list(unit.code), submission, options)
    try:
        findings = run_rules(ctx)
    finally:
        for facts in ctx.facts if not _DISPOSABLE else ():  # rules' memos point back at their facts:
            facts.release()  # break the cycles so the tree is freed now, not by a collection over all of it
    if options.history:
        from golfcheck.history import apply_history, record_date

        findings = apply_history(findings, record_date(unit.root, getattr(submission, "submission_json", None)))
    if unmerged is not None:
        findings = [*findings, unmerged]
    prefix = unit.display_root
    files = [_join(prefix, rel) for rel in unit.code]
    if prefix:
        findings = [_prefixed(f, prefix) for f in findings]
    return findings, files


def _join(prefix: str, rel: str) -> str:
    return f"{prefix.rstrip('/')}/{rel}" if prefix and prefix != "." else rel


def _prefixed(f: Finding, prefix: str) -> Finding:
    from dataclasses import replace

    return replace(f, path=_join(prefix, f.path))


class UnitTimeout(BaseException):
    """Raised in a unit's audit when its time limit passes (a BaseException: rules' broad
    ``except Exception`` must not swallow it)."""


@contextmanager
def _time_limit(seconds: float | None):
    """Interrupt the block after ``seconds`` of wall time (POSIX, main thread; elsewhere no limit)."""
    import signal
    import threading

    if not seconds or not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expired(signum, frame):
        raise UnitTimeout()

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


HARD_DEADLINE_GRACE_S = 5.0  # after the unit's own timeout, before the worker is killed
_DISPOSABLE = False  # True in a forked worker, which exits after one unit (no cleanup needed)


def _disposable_worker(args):
    global _DISPOSABLE
    _DISPOSABLE = True
    return _worker(args)


def _run_unit(args):
    """Audit one unit in a forked child (see golfcheck.isolation): a native crash, a breach of the
    memory cap or a hang inside native code becomes a GC002 for this unit, never a dead run."""
    unit, options = args
    if not options.isolate or not isolation.available():
        return _worker(args)
    # the child's own alarm (options.timeout) ends a Python-level hang with the usual message; this
    # deadline is for native code, which no Python signal handler interrupts
    hard = None if not options.timeout else options.timeout + max(HARD_DEADLINE_GRACE_S, 0.1 * options.timeout)
    outcome = isolation.run(_disposable_worker, args, timeout=hard, memory_mb=options.memory)
    if outcome.ok:
        return outcome.value
    from golfcheck.findings import Severity

    path = _join(unit.display_root, unit.code[0]) if unit.code else unit.display_root
    files = [_join(unit.display_root, rel) for rel in unit.code]
    what = "folder" if unit.folder else "file"
    return [Finding("GC002", Severity.WARNING, path, 1, 0,
                    f"golfcheck's analysis of this {what} {outcome.failure}: a human must read it",
                    ruling="golfcheck policy: code the tool could not check needs a human reviewer")], files


def _worker(args):
    unit, options = args
    try:
        with _time_limit(options.timeout):
            return audit_unit(unit, options)
    except UnitTimeout:
        from golfcheck.findings import Severity

        path = _join(unit.display_root, unit.code[0]) if unit.code else unit.display_root
        files = [_join(unit.display_root, rel) for rel in unit.code]
        return [Finding("GC002", Severity.WARNING, path, 1, 0,
                        f"golfcheck stopped analysing this {'folder' if unit.folder else 'file'} after "
                        f"{options.timeout:g} s (--timeout): a human must read it")], files
    except GolfcheckError:
        raise
    except MemoryError:
        from golfcheck.findings import Severity

        path = _join(unit.display_root, unit.code[0]) if unit.code else unit.display_root
        cap = f" (its memory cap is {options.memory:,.0f} MiB)" if options.memory else ""
        return [Finding("GC002", Severity.WARNING, path, 1, 0,
                        f"golfcheck's analysis of this {'folder' if unit.folder else 'file'} ran out of memory{cap}: "
                        "a human must read it")], [_join(unit.display_root, rel) for rel in unit.code]
    except Exception as exc:  # noqa: BLE001 - never lose the rest of a batch to one file; the run still exits 2
        from golfcheck.findings import Severity
        from golfcheck.selection import INTERNAL

        path = _join(unit.display_root, unit.code[0]) if unit.code else unit.display_root
        return [Finding(INTERNAL, Severity.WARNING, path, 1, 0,
                        f"internal error: golfcheck could not analyse this file ({type(exc).__name__}: {exc})")], [path]


SIGNATURE_MAX_BYTES = 256 * 1024 * 1024
LONE_FILE_MAX_BYTES = 32 * 1024 * 1024  # a lone file's folder bigger than this is not cached  # folders bigger than this are not fingerprinted (just analysed)


def _code_bytes(unit: Unit) -> int:
    total = 0
    for rel in unit.code:
        try:
            total += (unit.root / rel).stat().st_size
        except OSError:
            pass
    return total


def _signature(unit: Unit) -> str | None:
    """Content fingerprint of a submission folder: every regular file's path and bytes (None: not cached)."""
    if not unit.folder:
        return None  # a lone file may exec or import siblings anywhere below its folder
    h = hashlib.sha256()
    h.update("\0".join(unit.code).encode("utf-8", "surrogateescape"))
    total = 0
    try:
        for p in sorted(unit.root.rglob("*")):
            if not is_regular(p) or set(p.relative_to(unit.root).parts) & SKIP_DIRS:
                continue
            total += p.stat().st_size
            if total > SIGNATURE_MAX_BYTES:
                return None
            h.update(b"\0" + str(p.relative_to(unit.root)).encode("utf-8", "surrogateescape") + b"\0")
            h.update(hashlib.sha256(p.read_bytes()).digest())
    except OSError:
        return None
    return h.hexdigest()


def _file_signature(unit: Unit) -> str | None:
    """Content fingerprint for a lone file: it, and every regular file below its folder (it may
    import or exec any of them); None when that is more than LONE_FILE_MAX_BYTES."""
    h = hashlib.sha256()
    h.update("\0".join(unit.code).encode("utf-8", "surrogateescape"))
    total = 0
    try:
        for p in sorted(unit.root.rglob("*")):
            if not is_regular(p) or set(p.relative_to(unit.root).parts) & SKIP_DIRS:
                continue
            total += p.stat().st_size
            if total > LONE_FILE_MAX_BYTES:
                return None
            h.update(b"\0" + str(p.relative_to(unit.root)).encode("utf-8", "surrogateescape") + b"\0")
            h.update(hashlib.sha256(p.read_bytes()).digest())
    except OSError:
        return None
    return h.hexdigest()


def _cache_key(unit: Unit, signature: str | None, options: Options) -> str | None:
    from golfcheck import cache
    from golfcheck.rules import all_rules

    content = signature if unit.folder else _file_signature(unit)
    if content is None or cache.directory() is None:
        return None
    opts = {"select": options.select, "ignore": options.ignore, "respect": options.respect_suppressions,
            "history": options.history, "scopes": options.scopes, "timeout": options.timeout,
            "memory": options.memory, "unit": [str(unit.root), unit.display_root, unit.folder, list(unit.code)]}
    return cache.key(content, opts, tuple(r.id for r in all_rules()))


# Findings that say the analysis did not finish are not kept: the next run may finish.
_TRANSIENT = ("stopped analysing", "could not analyse", "internal error", "memory")


def _cached(key: str | None) -> tuple[list[Finding], list[str]] | None:
    if key is None:
        return None
    from golfcheck import cache
    from golfcheck.findings import Severity

    data = cache.load(key)
    if data is None:
        return None
    try:
        findings = [Finding(**{**raw, "severity": Severity(raw["severity"])}) for raw in data["findings"]]
        return findings, list(data["files"])
    except (KeyError, TypeError, ValueError):
        return None


def _remember(key: str | None, result: tuple[list[Finding], list[str]]) -> None:
    if key is None:
        return
    from dataclasses import asdict

    from golfcheck import cache

    findings, files = result
    from golfcheck.selection import is_internal

    # an internal error (a rule crashed) is not kept either: it is a bug, and the fixed rule must run
    if any(is_internal(f) or (f.rule == "GC002" and any(t in f.message for t in _TRANSIENT)) for f in findings):
        return
    cache.store(key, {"findings": [{**asdict(f), "severity": f.severity.value} for f in findings], "files": files})


def _reuse(result: tuple[list[Finding], list[str]], source: Unit, unit: Unit, options: Options):
    """The findings of an identical folder, re-rooted at ``unit`` (analysed again if any path does not map)."""
    findings, _files = result
    old = source.display_root.rstrip("/") + "/" if source.display_root and source.display_root != "." else ""
    out = []
    for f in findings:
        if old and not f.path.startswith(old):
            return _run_unit((unit, options))
        out.append(replace(f, path=_join(unit.display_root, f.path[len(old):])))
    return out, [_join(unit.display_root, rel) for rel in unit.code]


def audit_paths(
    paths: Iterable[str | Path],
    options: Options | None = None,
    jobs: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> Report:
    """Static audit of files and folders. Never executes the audited code."""
    options = options or Options()
    units = discover(paths)
    report = Report(paperwork_checked="folder" in options.scopes)
    if not units:
        return report
    # identical submission folders (a PR pushed twice, a resubmission) are analysed once per run
    signatures = [_signature(u) for u in units]
    first: dict[str, int] = {}
    todo: list[int] = []
    for i, sig in enumerate(signatures):
        if sig is None or sig not in first:
            if sig is not None:
                first[sig] = i
            todo.append(i)
    done: dict[int, tuple[list[Finding], list[str]]] = {}
    keys = {i: _cache_key(units[i], signatures[i], options) for i in todo} if options.cache else {}
    for i in list(todo):  # answered from the content-hash cache: nothing to analyse
        hit = _cached(keys.get(i))
        if hit is not None:
            done[i] = hit
            todo.remove(i)
    jobs = max(1, min(jobs if jobs > 0 else (os.cpu_count() or 1), len(todo) or 1))
    if jobs > 1:  # largest first: the slowest units start early instead of finishing last on one core
        todo.sort(key=lambda i: -_code_bytes(units[i]))
    if jobs == 1:
        for n, i in enumerate(todo, 1):
            done[i] = _run_unit((units[i], options))
            if progress:
                progress(n, len(todo))
    else:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            results = pool.map(_run_unit, [(units[i], options) for i in todo], chunksize=1)
            for n, (i, res) in enumerate(zip(todo, results), 1):
                done[i] = res
                if progress:
                    progress(n, len(todo))
    for i in todo:
        _remember(keys.get(i), done[i])
    for i, unit in enumerate(units):
        if i in done:
            findings, files = done[i]
        else:
            findings, files = _reuse(done[first[signatures[i]]], units[first[signatures[i]]], unit, options)
        report.findings.extend(findings)
        report.files.extend(files)
    report.findings.sort(key=sort_key)
    if sum(1 for u in units if u.folder) > 1:
        report.sections["units"] = unit_table(report, [u for u in units if u.folder])
    return report
