"""The rule interface. One module per rule in ``rules/`` (shipped as ``golfcheck.rules``).

A rule module reads top to bottom: metadata, the check, its examples. ``check`` is pure: it takes
the :class:`~golfcheck.engine.AuditContext` (parsed facts of every code file, the run configuration
and the folder's evidence files) and yields findings. No I/O.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, Iterable, Mapping

from golfcheck.findings import Finding, Severity

if TYPE_CHECKING:  # pragma: no cover
    from golfcheck.engine import AuditContext



def project_urls() -> dict[str, str]:
    """The ``[project.urls]`` of the installed distribution (label -> URL); empty when it declares none.

    No URL is written into the code: the rules documentation (docs/rules.md, one ``#gcNNN`` anchor
    per rule) and the project page are linked only once the project publishes them as its
    ``Rules`` and ``Homepage`` URLs."""
    from importlib import metadata

    try:
        entries = metadata.metadata("golfcheck").get_all("Project-URL") or []
    except metadata.PackageNotFoundError:
        return {}
    out = {}
    for entry in entries:
        label, _, url = entry.partition(",")
        if url.strip():
            out[label.strip()] = url.strip()
    return out


def rules_doc_url() -> str | None:
    """Where docs/rules.md is published (the ``Rules`` project URL), or None."""
    return project_urls().get("Rules")


@dataclass(frozen=True)
class Ruling:
    """What a rule rests on: a maintainer ruling, README rule, issue or PR, with a link."""

    source: str
    url: str
    summary: str = ""

    def cite(self) -> str:
        return f"{self.source} <{self.url}>"


@dataclass(frozen=True)
class Example:
    """A VALID or INVALID example written by us (never copied from a submission).

    ``code`` is the audited ``train_gpt.py`` (dedented). ``files`` adds other files of the
    submission folder (README.md, run.sh, logs, sibling modules). For INVALID examples ``severity``
    is the severity expected for this rule's finding (default: the rule's own) and ``lines``, when
    given, the 1-based lines at which the rule must fire. ``trap`` names the RULES.md trap or shape
    the example covers.
    """

    code: str
    files: Mapping[str, str] = field(default_factory=dict)
    trap: str = ""
    severity: Severity | None = None
    lines: tuple[int, ...] = ()

    @property
    def source(self) -> str:
        return textwrap.dedent(self.code).lstrip("\n")

    def folder_files(self) -> dict[str, str]:
        out = {"train_gpt.py": self.source}
        out.update({k: textwrap.dedent(v).lstrip("\n") for k, v in self.files.items()})
        return out


class Rule:
    """Base class: subclasses set the metadata and implement :meth:`check`."""

    id: ClassVar[str]
    name: ClassVar[str]  # kebab-case
    severity: ClassVar[Severity]
    summary: ClassVar[str]  # one line
    rationale: ClassVar[str] = ""
    looks_for: ClassVar[str] = ""
    traps: ClassVar[tuple[str, ...]] = ()
    rulings: ClassVar[tuple[Ruling, ...]] = ()
    # Date (YYYY-MM-DD) of the ruling that made this an error; `--history` downgrades errors on
    # records dated before it to warnings with the precedent named. None: judged the same at any date.
    ruling_date: ClassVar[str | None] = None
    # ``rule``: what the code or the run does (rule verdict ILLEGAL/HOLD/CLEAN); ``paperwork``: what
    # the folder or the PR lacks (paperwork verdict INCOMPLETE/COMPLETE; never ILLEGAL).
    kind: ClassVar[str] = "rule"
    # ``code``: judged from the sources and the run configuration (``golfcheck audit`` runs it);
    # ``folder``: judged from the folder's evidence (logs, model files, submission.json, the files
    # on disk), so it runs in ``golfcheck check`` and ``gate`` but not in ``audit``.
    scope: ClassVar[str] = "code"
    VALID: ClassVar[tuple[Example, ...]] = ()
    INVALID: ClassVar[tuple[Example, ...]] = ()

    def check(self, ctx: "AuditContext") -> Iterable[Finding]:  # pragma: no cover - abstract
        raise NotImplementedError

    # ----------------------------------------------------------------- helpers for subclasses
    @classmethod
    def ruling_text(cls) -> str:
        return "; ".join(r.cite() for r in cls.rulings)

    @classmethod
    def help_uri(cls) -> str | None:
        """This rule's own documentation (its docs/rules.md anchor), when the docs are published."""
        base = rules_doc_url()
        return f"{base}#{cls.id.lower()}" if base else None
