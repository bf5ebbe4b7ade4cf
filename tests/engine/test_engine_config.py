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
                        'respect-suppressions = true\njobs = 0\n[tool.golfcheck.limits]\nmin-seeds = 5\n')
    cfg = load_config(str(p))
    assert cfg.select == ("GC1", "GC3") and cfg.ignore == ("GC305",)
    assert cfg.fail_on == "warning" and cfg.respect_suppressions is True and cfg.jobs == 0
    assert cfg.limits == {"min-seeds": 5} and cfg.path == p


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
    ('[tool.golfcheck]\nformat = "xml"\n', "format must be one of"),
    ('[tool.golfcheck.limits]\nartefact-bytes = 1\n', "limits"),
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
