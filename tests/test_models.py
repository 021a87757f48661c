"""The pydantic models where data comes in (an export row, config.toml, a break agreement, a script's
front matter): each bad row or file is one line naming where and what; random input never a traceback."""

import json
import string

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from companion.cli.app import cli
from companion.journal.transfer import ExportRow, check_session

GOOD = {"id": 3, "uid": "1b4e28ba-2fa1-4d3b-a3f5-ef19b5a7633b", "sequence": "stay", "title": "Staying",
        "mode": "pause", "output": "device", "started_at": "2026-11-25T21:20:04+01:00",
        "ended_at": "2026-11-25T21:27:04+01:00", "planned_s": 420.0, "played_s": 400.5, "position_s": 410.0,
        "completed": True, "end_reason": "completed", "side": "leaving", "pulse_bpm": 104, "break_minutes": 20,
        "returned": True, "stage": None, "wait_s": None, "distress_before": 7, "distress_after": 4,
        "partners": None, "flooded": None}
PARTNERS = [{"name": "Sam", "distress_before": 6, "distress_after": 3},
            {"name": "Alex", "distress_before": None, "distress_after": 4}]


@pytest.fixture
def home(tmp_path, monkeypatch):
    for name in ("CACHE", "DATA", "CONFIG"):
        monkeypatch.setenv(f"XDG_{name}_HOME", str(tmp_path / name.lower()))
    return tmp_path


def invoke(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


# -- an export row ------------------------------------------------------------------------------
def test_a_good_row_is_the_row_to_insert():
    row = check_session(GOOD)
    assert row == dict(GOOD, break_minutes=20.0) and list(row) == list(GOOD)
    assert check_session(dict(GOOD, uid=GOOD["uid"].upper()))["uid"] == GOOD["uid"]  # one spelling, for UNIQUE
    together = check_session(dict(GOOD, partners=PARTNERS))
    assert json.loads(together["partners"]) == PARTNERS  # stored as JSON text


def as_csv(row: dict) -> dict:
    return {k: "" if v is None else str(v).lower() if isinstance(v, bool) else
            json.dumps(v) if isinstance(v, list) else str(v) for k, v in row.items()}


def test_a_csv_row_is_text_and_reads_as_the_same_row():
    assert check_session(as_csv(dict(GOOD, partners=PARTNERS)), text=True) == \
        check_session(dict(GOOD, partners=PARTNERS))


@pytest.mark.parametrize("change, text, said", [
    ({"distress_before": 11}, False, "distress_before = 11; expected a whole number from 0 to 10"),
    ({"distress_before": "7"}, False, "distress_before = '7'; expected a whole number from 0 to 10"),
    ({"distress_before": 7.0}, False, "distress_before = 7.0; expected a whole number from 0 to 10"),
    ({"pulse_bpm": True}, False, "pulse_bpm = True; expected a whole number from 1 to 400"),
    ({"planned_s": -1}, False, "planned_s = -1; expected a number of seconds, 0 or more"),
    ({"completed": 1}, False, "completed = 1; expected true or false"),
    ({"title": "  "}, False, "title = '  '; expected some text"),
    ({"title": "a\x1bb"}, False, "title = 'a\\x1bb'; expected some text"),
    ({"ended_at": "soon"}, False, "ended_at = 'soon'; expected a time such as"),
    ({"end_reason": "exploded"}, False, "end_reason = 'exploded'; expected completed, stopped, interrupted, error"),
    ({"partners": [{"name": "Sam"}]}, False, "partners = [{'name': 'Sam'}]; expected a list of two partners"),
    ({"partners": [{"name": "x" * 31}, {"name": "y"}]}, False, "expected a list of two partners"),
    ({"flooded": -2}, False, "flooded = -2; expected a whole number from 0"),
    ({"id": 0}, False, "id = 0; expected a positive whole number"),
    ({"colour": "red"}, False, "has an unknown field 'colour'; expected the fields of `companion log --json`"),
    ({"uid": None}, False, "lacks uid"),
    ({"distress_before": "11"}, True, "distress_before = 11; expected a whole number from 0 to 10"),
    ({"completed": "maybe"}, True, "completed = 'maybe'; expected true or false"),
    ({"played_s": "nan"}, True, "played_s = nan; expected a number of seconds"),
    ({"title": ""}, True, "lacks title"),
    ({"partners": "[not json"}, True, "partners = '[not json'; expected a list of two partners"),
])
def test_each_bad_value_is_one_line_naming_the_field_and_what_was_expected(change, text, said):
    row = dict(as_csv(GOOD) if text else GOOD)
    for key, value in change.items():
        if value is None:
            del row[key]
        else:
            row[key] = value
    with pytest.raises(ValueError) as caught:
        check_session(row, text=text)
    message = str(caught.value)
    assert said in message and "\n" not in message, message
    assert "validation error" not in message and "pydantic" not in message


def test_the_first_problem_in_file_order_is_the_one_said():
    with pytest.raises(ValueError, match="^has an unknown field 'zzz'"):  # an unknown field first
        check_session(dict(GOOD, zzz=1, title=5, flooded=-1))
    with pytest.raises(ValueError, match="^title = 5;"):  # then by the columns' order
        check_session(dict(GOOD, title=5, flooded=-1))


def test_a_long_value_is_echoed_bounded():
    with pytest.raises(ValueError) as caught:
        check_session(dict(GOOD, title=["x" * 5000]))
    assert len(str(caught.value)) < 120


def test_the_model_is_the_journals_columns():
    from companion.journal import COLUMNS

    assert tuple(ExportRow.model_fields) == COLUMNS


def test_export_schema_prints_the_models_json_schema(home):
    result = invoke("export", "--schema")
    assert result.exit_code == 0
    found = json.loads(result.output)
    assert found["type"] == "array" and found["title"] == "companion export"
    row = found["$defs"]["ExportRow"]
    assert list(row["properties"]) == list(ExportRow.model_fields) and row["additionalProperties"] is False
    assert set(row["required"]) == {"uid", "sequence", "title", "mode", "output", "started_at", "planned_s",
                                    "played_s", "position_s", "completed", "end_reason"}
    assert row["properties"]["end_reason"]["enum"] == ["completed", "stopped", "interrupted", "error", "running"]
    assert row["properties"]["uid"]["format"] == "uuid"
    assert not list(home.rglob("*.json"))  # wrote nothing


def test_export_without_a_file_or_schema_is_a_usage_error(home):
    result = CliRunner().invoke(cli, ["export"])
    assert result.exit_code == 2 and "Missing argument 'FILE'" in result.output


def test_an_export_nested_thousands_deep_is_one_line(home):
    file = home / "deep.json"
    file.write_text("[" * 100_000)
    result = invoke("import", str(file))
    assert result.exit_code == 1 and result.output == \
        f"companion: {file}: values nested too deeply for an export; nothing was imported\n"


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                                       max_size=3), max_leaves=8)


@settings(max_examples=300, deadline=None)
@given(changes=st.dictionaries(st.sampled_from(list(GOOD) + ["extra", ""]), json_values, max_size=4),
       text=st.booleans())
def test_random_rows_are_a_row_or_one_line(changes, text):
    row = dict(as_csv(GOOD) if text else GOOD) | changes
    try:
        found = check_session(row, text=text)
    except ValueError as e:
        assert "\n" not in str(e) and len(str(e)) < 300, str(e)
    else:
        assert list(found) == list(GOOD)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=st.one_of(st.lists(st.dictionaries(st.sampled_from(list(GOOD)), json_values, max_size=6), max_size=3),
                          json_values),
       as_text=st.booleans())
def test_random_json_into_import_is_never_a_traceback(home, document, as_text):
    file = home / "in.json"
    file.write_text(json.dumps(document) if not as_text else json.dumps(document)[:-1])
    result = invoke("import", str(file))  # catch_exceptions=False: a traceback fails the test
    assert result.exit_code in (0, 1), result.output
    assert result.output.count("\n") == 1 and "Traceback" not in result.output
    assert all(c in string.printable or ord(c) > 0x9f for c in result.output)
