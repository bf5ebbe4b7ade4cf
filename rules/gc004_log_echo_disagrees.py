"""GC004 — a log's hyperparameter echo disagrees with the code default and the run command."""

from golfcheck.findings import Finding, Severity
from golfcheck.rule import Example, Rule, Ruling
from golfcheck.runconfig import truthy


def _shown(value) -> str:
    return repr(value) if isinstance(value, str) else str(value)


class LogEchoDisagrees(Rule):
    id = "GC004"
    name = "log-echo-disagrees"
    severity = Severity.WARNING
    summary = "A log echoes a setting that switches a code path off against the code default and run command."
    rationale = (
        "The effective run configuration decides whether a flagged path is reported as an error or as a "
        "dormant note. Logs are written by the submitter: a log line may confirm what ran, but a lone "
        "`use_ngram: 0` must not switch off a path that the code default and the README command turn on. "
        "Such an echo is taken only when the run that prints it also carries its scored result, and even "
        "then the disagreement needs a reviewer: the README command must reproduce the scored run."
    )
    looks_for = (
        "Hyperparameter echoes (`key: value`, `key=value`, labels the code prints settings under) whose "
        "truthiness differs from the value the code default, the README command and run scripts give."
    )
    traps = (
        "An echo that switches a path off in a run without a final val_bpb line is not taken at all: "
        "the path stays on, and its findings stay errors.",
        "Numbers that differ but agree in truthiness (seq_len 1024 vs 2048) are not disagreements here.",
        "An echo that turns on a path the code and command leave off is a note: the path is audited as "
        "on, so it can only make the verdict stricter (merged records whose README command omits a "
        "flag the run used look like this).",
    )
    rulings = (Ruling("DESIGN.md: a path disabled in the effective run config is a note (dormant)",
                      "https://github.com/openai/parameter-golf/issues/1017",
                      "submitted evidence is untrusted; the code and its run command define what runs"),)

    def check(self, ctx):
        out = []
        for c in getattr(ctx.config, "conflicts", ()):
            switches_on = c.taken and not truthy(c.before)
            if switches_on:
                msg = (f"{c.log} echoes {c.key}: {c.value} where the code and run command give {_shown(c.before)} "
                       f"({c.before_source}): the path is audited as on, as the log says it ran; the README "
                       "command should set it")
            elif c.taken:
                msg = (f"{c.log} echoes {c.key}: {c.value} but the code and run command give {_shown(c.before)} "
                       f"({c.before_source}); the echo is taken because that run carries its scored result: "
                       "check that the README command reproduces the scored run")
            else:
                msg = (f"{c.log} echoes {c.key}: {c.value}, which would switch off a path that the code and run "
                       f"command turn on ({_shown(c.before)}, {c.before_source}), but that run carries no scored "
                       "result: the echo is not taken and the path counts as on")
            severity = Severity.NOTE if switches_on else self.severity
            out.append(Finding(self.id, severity, c.log, c.line, 0, msg, ruling=self.ruling_text()))
        return out

    VALID = (
        Example(
            """
            import os
            USE_NGRAM = bool(int(os.environ.get("USE_NGRAM", "1")))
            """,
            files={"train_seed1.log": "Hyperparameters:\n  use_ngram: 1\n"
                                      "final_int8_zlib_roundtrip_exact val_loss:2.00000000 val_bpb:1.20000000\n"},
            trap="an echo that confirms the code default",
        ),
        Example(
            """
            import os
            SEQ_LEN = int(os.environ.get("SEQ_LEN", "1024"))
            """,
            files={"train_seed1.log": "Hyperparameters:\n  seq_len: 2048\n"},
            trap="a different number of the same truthiness",
        ),
    )
    INVALID = (
        Example(
            """
            import os
            USE_NGRAM = bool(int(os.environ.get("USE_NGRAM", "1")))
            """,
            files={"train_seed1.log": "Hyperparameters:\n  use_ngram: 0\n"},
            trap="a forged echo switching off a default-on path, in a log without a scored result",
            lines=(2,),
        ),
        Example(
            """
            import os
            USE_NGRAM = bool(int(os.environ.get("USE_NGRAM", "1")))
            """,
            files={"train_seed1.log": "Hyperparameters:\n  use_ngram: 0\n"
                                      "final_int8_zlib_roundtrip_exact val_loss:2.00000000 val_bpb:1.20000000\n"},
            trap="a scored run that ran with the path off although the code turns it on",
            lines=(2,),
        ),
        Example(
            """
            import os
            USE_NGRAM = bool(int(os.environ.get("USE_NGRAM", "0")))
            """,
            files={"train_seed1.log": "Hyperparameters:\n  use_ngram: 1\n"
                                      "final_int8_zlib_roundtrip_exact val_loss:2.00000000 val_bpb:1.20000000\n"},
            trap="the log turns on a path the command leaves off: audited as on, a note",
            severity=Severity.NOTE, lines=(2,),
        ),
    )
