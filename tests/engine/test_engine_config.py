"""``[tool.golfcheck]`` configuration: values, and errors that name the file."""

from __future__ import annotations

import pytest

from golfcheck.config import load_config
from golfcheck.errors import GolfcheckError


def write(tmp_path, body: str):
    p = tmp_path / "pyproject.toml"
    p.write_text(body, encoding="utf-8")
    return p


def test_values_are_read(tmp_path):
    p = write(tmp_path, '[tool.golfcheck]\nselect = ["gc1", "GC3"]\nignore = "GC305"\nfail-on = "warning"\n'
                        'respect-suppressions = true\njobs = 0\nextend-select = ["GC5"]\nextend-ignore = ["gc906"]\n'
                        '[tool.golfcheck.per-file-ignores]\n"records/**/train_gpt.py" = ["GC9"]\n')
    cfg = load_config(str(p))
    assert cfg.select == ("GC1", "GC3") and cfg.ignore == ("GC305",)
    assert cfg.extend_select == ("GC5",) and cfg.extend_ignore == ("GC906",)
    assert cfg.per_file_ignores == (("records/**/train_gpt.py", ("GC9",)),)
    assert cfg.fail_on == "warning" and cfg.respect_suppressions is True and cfg.jobs == 0 and cfg.path == p


def test_select_replaces_and_ignore_adds(tmp_path):
    cfg = load_config(str(write(tmp_path, '[tool.golfcheck]\nselect = ["GC1"]\nextend-select = ["GC2"]\n'
                                          'ignore = ["GC101"]\nextend-ignore = ["GC102"]\n')))
    sel = cfg.selection()
    assert sel.select == ("GC1", "GC2") and sel.ignore == ("GC101", "GC102")
    assert sel.keeps("GC201") and sel.keeps("GC105") and not sel.keeps("GC101") and not sel.keeps("GC301")
    flags = cfg.selection(select=("GC3",), ignore=("GC305",))
    assert flags.select == ("GC3",)  # --select replaces select and extend-select
    assert flags.ignore == ("GC101", "GC102", "GC305")  # --ignore adds
    assert flags.keeps("GC301") and not flags.keeps("GC201") and not flags.keeps("GC305")
    # extend-select without select: the default selects every rule already
    assert load_config(str(write(tmp_path, '[tool.golfcheck]\nextend-select = ["GC2"]\n'))).selection().keeps("GC101")


def test_per_file_ignores_match_relative_to_the_config_or_by_file_name(tmp_path):
    cfg = load_config(str(write(tmp_path, '[tool.golfcheck.per-file-ignores]\n"records/*/train_gpt.py" = ["GC1"]\n'
                                          '"helper.py" = ["GC906"]\n')))
    sel = cfg.selection()
    inside = str(tmp_path / "records" / "run" / "train_gpt.py")
    assert not sel.keeps("GC101", inside) and not sel.keeps("GC101", "records/run/train_gpt.py")
    assert sel.keeps("GC201", inside) and sel.keeps("GC101", str(tmp_path / "other" / "train_gpt.py"))
    assert not sel.keeps("GC906", str(tmp_path / "a" / "b" / "helper.py")) and sel.keeps("GC906", inside)
    assert sel.keeps("GC000", inside)  # internal errors are never selected away


@pytest.mark.parametrize("body, bad, hint", [
    ('[tool.golfcheck]\nselect = ["XYZ"]\n', "'XYZ'", ""),
    ('[tool.golfcheck]\nignore = ["GC999"]\n', "'GC999'", "did you mean GC9"),
    ('[tool.golfcheck]\nextend-select = ["GC11O"]\n', "'GC11O'", "did you mean GC110?"),
    ('[tool.golfcheck]\nextend-ignore = ["GC7"]\n', "'GC7'", ""),
    ('[tool.golfcheck.per-file-ignores]\n"x.py" = ["GC1O1"]\n', "'GC1O1'", "did you mean GC101?"),
])
def test_unknown_rule_ids_in_configuration_are_errors(tmp_path, body, bad, hint):
    p = write(tmp_path, body)
    with pytest.raises(GolfcheckError) as err:
        load_config(str(p))
    msg = str(err.value)
    assert msg.startswith(f"{p}: [tool.golfcheck] ") and f"unknown rule id or prefix {bad}" in msg and hint in msg
    assert "\n" not in msg


def test_nearest_pyproject_is_found_upwards(tmp_path):
    write(tmp_path, '[tool.golfcheck]\nfail-on = "note"\n')
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    assert load_config(start=deep).fail_on == "note"


def test_pyproject_without_a_table_gives_defaults(tmp_path):
    p = write(tmp_path, '[project]\nname = "x"\n')
    assert load_config(str(p)).fail_on == "error"


@pytest.mark.parametrize("body, words", [
    ('[tool.golfcheck]\nselct = ["GC1"]\n', "unknown key 'selct'"),
    ('[tool.golfcheck]\nfail-on = "sometimes"\n', "fail-on must be one of"),
    ('[tool.golfcheck]\nselect = [1, 2]\n', "select must be a list"),
    ('[tool.golfcheck]\nrespect-suppressions = "yes"\n', "respect-suppressions must be true or false"),
    ('[tool.golfcheck]\njobs = -1\n', "jobs must be a non-negative integer"),
    ('[tool.golfcheck]\njobs = true\n', "jobs must be a non-negative integer"),
    # keys no command read are gone: they are unknown keys now, not silently accepted
    ('[tool.golfcheck]\nformat = "json"\n', "unknown key 'format'"),
    ('[tool.golfcheck.limits]\nmin-seeds = 5\n', "unknown key 'limits'"),
    ('[tool.golfcheck]\nhistory = true\n', "unknown key 'history'"),
    ('[tool.golfcheck]\nper-file-ignores = ["GC1"]\n', "per-file-ignores must be a table"),
    ('[tool.golfcheck]\nselect = [\n', "invalid TOML"),
    ('[tool]\ngolfcheck = 3\n', "must be a table"),
])
def test_bad_configuration_names_the_file(tmp_path, body, words):
    p = write(tmp_path, body)
    with pytest.raises(GolfcheckError) as err:
        load_config(str(p))
    assert words in str(err.value)
    assert str(err.value).startswith(str(p) + ": ")
    assert "\n" not in str(err.value)


def test_explicit_missing_file(tmp_path):
    with pytest.raises(GolfcheckError, match="configuration file not found"):
        load_config(str(tmp_path / "nope.toml"))


def test_undecodable_file(tmp_path):
    p = tmp_path / "pyproject.toml"
    p.write_bytes(b"[tool.golfcheck]\nselect = ['\xff']\n")
    with pytest.raises(GolfcheckError, match="cannot read configuration"):
        load_config(str(p))


def test_the_readme_example_is_a_valid_configuration(tmp_path):
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    block = readme.split("### Configuration", 1)[1].split("```toml\n", 1)[1].split("```", 1)[0]
    cfg = load_config(str(write(tmp_path, block)))
    assert cfg.select == ("GC",) and cfg.ignore == ("GC906",) and cfg.timeout == 300
    assert cfg.per_file_ignores == (("records/*/2026-03-*/train_gpt.py", ("GC110",)),)
