"""GC003 — a `# golfcheck: ignore[...]` comment inside an audited submission."""

from golfcheck.findings import Severity
from golfcheck.rule import Example, Rule, Ruling


class SuppressionInSubmission(Rule):
    id = "GC003"
    name = "suppression-in-submission"
    severity = Severity.WARNING
    summary = "A golfcheck suppression comment in submitted code is reported, not obeyed."
    rationale = (
        "Audited submissions are untrusted: one comment must not silence a rule-violation check. "
        "Suppressions are obeyed only with --respect-suppressions (a competitor's own runs), and a "
        "blanket suppression without rule codes is never accepted."
    )
    looks_for = "`# golfcheck: ignore[GC101] reason` trailing a line or on its own line above it."
    traps = ("Codes are required; a bare `# golfcheck: ignore` is reported as malformed.",)
    rulings = (Ruling("DESIGN.md: Findings and verdicts (suppressions)",
                      "https://github.com/openai/parameter-golf/issues/1017",
                      "submissions are audited as untrusted code"),)

    def check(self, ctx):
        return ()  # the engine reports suppressions for every rule (see golfcheck.engine)

    VALID = (Example("x = 1  # an ordinary comment mentioning golfcheck\n"),)
    INVALID = (
        Example("x = 1  # golfcheck: ignore[GC101] reviewed by hand\n", trap="trailing suppression", lines=(1,)),
        Example("# golfcheck: ignore\nx = 1\n", trap="blanket suppression without codes", lines=(1,)),
    )
