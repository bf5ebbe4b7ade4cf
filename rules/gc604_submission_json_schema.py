"""GC604 — submission.json is not valid JSON or violates the schema profile."""

from golfcheck.checks.examples import TRAIN_GPT, good_files
from golfcheck.checks.rulebase import folder_findings
from golfcheck.findings import Severity
from golfcheck.rule import Example, Rule, Ruling


class SubmissionJsonSchema(Rule):
    id = "GC604"
    name = "submission-json-schema"
    severity = Severity.ERROR
    kind = "paperwork"
    scope = "folder"
    summary = "submission.json does not parse or violates the shipped schema (strict profile for new PRs)."
    rationale = (
        "The shipped JSON Schema accepts every merged submission.json (permissive top level). New record "
        "PRs are linted against its strictRecord profile (author, github_id, name, date, track, blurb, val_bpb, "
        "val_loss, val_bpb_std, >= 3 seeds with per-seed val_bpb/val_loss/artifact_bytes, bytes_total, "
        "hardware); non-record PRs against strictNonRecord."
    )
    looks_for = "golfcheck/schemas/submission.schema.json, validated with jsonschema (draft 2020-12)."
    traps = ("Authors add ad-hoc keys: unknown keys are allowed everywhere.",)
    rulings = (Ruling("README: submission.json contents", "https://github.com/openai/parameter-golf#submission-process",
                      "name, GitHub ID, val_bpb and related metadata"),)

    def check(self, ctx):
        return folder_findings(ctx, self.id, ("metadata",))

    VALID = (Example(TRAIN_GPT, files=good_files(), trap="strictRecord-complete"),)
    INVALID = (
        Example(TRAIN_GPT, files={**good_files(), "submission.json": '{"author": "x", "val_bpb": 1.0,\n'},
                trap="truncated JSON"),
        Example(TRAIN_GPT, files={**good_files(), "submission.json": '{"author": "x", "val_bpb": "1.0"}\n'},
                trap="val_bpb as a string"),
    )
