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
        "partners": None, "flooded": None, "promise": "sent", "promise_delivered_at": "2026-11-25T21:20:05+01:00",
        "bells_together": True}
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
    from companion.journal.schema import COLUMNS

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


# -- config.toml -------------------------------------------------------------------------------
from companion.config import ConfigError, load  # noqa: E402


@pytest.mark.parametrize("text, said", [
    ("rate = 9\n", ":1: rate = 9; expected a whole number of words a minute from 80 to 400"),
    ('\n\nrate = "fast"\n', ":3: rate = 'fast'; expected a whole number of words a minute"),
    ("rate = true\n", ":1: rate = True; expected a whole number"),
    ("colour = 1\n", ":1: unknown setting 'colour'; expected rate, background_prepare, help, day_ends"),
    ("voices = 3\n", ":1: voices = 3; expected a [voices] table"),
    ('[voices]\nguide = "  "\n', ":2: voices.guide = '  '; expected a voice id in quotes"),
    ('[voices]\nC = "x"\n', ":2: unknown voice role 'C'; expected guide, A, B, you or partner"),
    ("[pause]\nminutes = 0\n", ":2: pause.minutes = 0; expected a number of minutes from 1 to 180"),
    ("[pause]\nminutes = nan\n", ":2: pause.minutes = nan; expected a number of minutes from 1 to 180"),
    ("[pause]\nflooded_bpm = 100.5\n", ":2: pause.flooded_bpm = 100.5; expected a whole number of beats"),
    ("[pause]\nbreak = 20\n", ":2: unknown setting 'pause.break'; expected flooded_bpm or minutes"),
    ('day_ends = "4am"\n', ":1: day_ends = '4am'; expected a time of day \"HH:MM\""),
    ('show_streaks = "no"\n', ":1: show_streaks = 'no'; expected true or false"),
    ("background_prepare = 0\n", ":1: background_prepare = 0; expected true or false"),
    ('help = "' + "x" * 201 + '"\n', ":1: help = 'xxxxxxxx"),
    ("rate = 9\ncolour = 1\n", ":2: unknown setting 'colour'"),  # an unknown key is said first
])
def test_each_bad_setting_is_one_line_naming_the_line_the_key_and_what_was_expected(tmp_path, text, said):
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load(path)
    message = str(caught.value)
    assert message.startswith(f"{path}{said}") and "\n" not in message, message
    assert "validation error" not in message and "pydantic" not in message


def test_every_setting_read():
    from companion.config_model import ConfigFile

    assert set(ConfigFile.model_fields) == {"help", "background_prepare", "rate", "voices", "pause", "day_ends",
                                            "show_streaks"}
    assert all(field.description for field in ConfigFile.model_fields.values())


def test_a_full_config_gives_its_settings(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('rate = 180\nbackground_prepare = false\nday_ends = "03:30"\nshow_streaks = false\n'
                    'help = "Call 116 123"\n[voices]\nguide = "g"\nA = "a"\nB = "b"\nyou = "y"\npartner = "p"\n'
                    "[pause]\nflooded_bpm = 80\nminutes = 25.5\n")
    cfg = load(path)
    assert cfg.voices == ("g", "a", "b", 180, str(path), "y", "p")
    assert (cfg.flooded_bpm, cfg.break_minutes, cfg.background_prepare, cfg.day_ends_min, cfg.show_streaks,
            cfg.help) == (80, 25.5, False, 210, False, "Call 116 123")


toml_keys = st.sampled_from(["rate", "help", "voices", "pause", "day_ends", "show_streaks", "background_prepare",
                             "guide", "minutes", "flooded_bpm", "x"])
toml_values = st.recursive(st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(toml_keys, inner, max_size=3),
                           max_leaves=6)


def toml_text(data: dict) -> str:
    """`data` as TOML (inline tables), or as near as the values allow."""
    def value(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, float):
            return {"nan": "nan", "inf": "inf", "-inf": "-inf"}.get(repr(v), repr(v))
        if isinstance(v, str):
            return json.dumps(v)
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{" + ", ".join(f"{json.dumps(k)} = {value(x)}" for k, x in v.items()) + "}"
        return str(v)

    return "".join(f"{json.dumps(k)} = {value(v)}\n" for k, v in data.items())


@settings(max_examples=300, deadline=None)
@given(data=st.dictionaries(toml_keys, toml_values, max_size=4))
def test_random_toml_is_settings_or_one_line(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("cfg") / "config.toml"
    path.write_text(toml_text(data))
    try:
        cfg = load(path)
    except ConfigError as e:
        assert str(e).startswith(str(path)) and "\n" not in str(e) and len(str(e)) < 400 + len(str(path)), str(e)
    else:
        assert 80 <= cfg.voices.rate_wpm <= 400 and 1 <= cfg.break_minutes <= 180


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(list('[]{}="\'\n =.,#abcrate0123456789truefalse\\u\x00\x1b')),
                    max_size=60))
def test_random_text_as_config_is_settings_or_one_line(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("cfg") / "config.toml"
    path.write_text(text)
    try:
        load(path)
    except ConfigError as e:
        assert "\n" not in str(e) and "\x1b" not in str(e)


# -- the user's config, checked once a change -----------------------------------------------------
def modules_after(code: str, env: dict) -> list[str]:
    import subprocess
    import sys

    probe = f"import sys\n{code}\nprint(sorted(m for m in ('pydantic', 'tomllib', 'companion.config_model') " \
            "if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()


def test_the_users_config_is_checked_once_then_read_without_pydantic(home):
    import os
    import stat

    path = home / "config" / "companion" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text("rate = 180\n")
    env = dict(os.environ)
    read = "from companion.config import load; print(load().voices.rate_wpm)"
    assert modules_after(read, env) == ["180", "['companion.config_model', 'pydantic', 'tomllib']"]  # checked
    assert modules_after(read, env) == ["180", "[]"]  # kept: no pydantic, no TOML parser
    kept = home / "cache" / "companion" / "checked-config.json"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    mtime = path.stat().st_mtime_ns
    path.write_text("rate = 190\n")  # the same size, and (on a coarse clock) perhaps the same time
    os.utime(path, ns=(mtime, mtime))
    assert modules_after(read, env)[0] == "190"


def test_a_bad_config_is_said_the_same_from_the_kept_answer(home):
    import os

    path = home / "config" / "companion" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text("\nrate = 9\n")
    said = ("from companion.config import load, ConfigError\n"
            "try: load()\nexcept ConfigError as e: print(e)")
    first = modules_after(said, dict(os.environ))
    again = modules_after(said, dict(os.environ))
    assert first[0] == again[0] == f"{path}:2: rate = 9; expected a whole number of words a minute from 80 to 400"
    assert again[1] == "[]"


def test_a_damaged_kept_answer_is_checked_again(home):
    path = home / "config" / "companion" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text("rate = 180\n")
    assert load().voices.rate_wpm == 180
    kept = home / "cache" / "companion" / "checked-config.json"
    whole = json.loads(kept.read_text())
    for damage in ("{", "[]", '{"path": 1}', json.dumps(dict(whole, answer={"settings": 5})),
                   json.dumps(dict(whole, answer={"settings": {"rate": 180}})), json.dumps(dict(whole, answer=[]))):
        kept.write_text(damage)
        assert load().voices.rate_wpm == 180


def test_progress_with_a_config_imports_no_pydantic(home):
    import os

    path = home / "config" / "companion" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text('day_ends = "03:00"\n')
    load()  # checked once, as the first command after an edit does
    code = "from companion.startup.progress import main\nmain(['--json'])"
    found = modules_after(code, dict(os.environ))
    assert found[-1] == "[]" and json.loads("\n".join(found[:-1])) is not None


# -- a script's front matter ---------------------------------------------------------------------
from companion.script.parse import FRONT_KEYS, check as check_script, parse as parse_script  # noqa: E402
from companion.script.errors import ScriptErrors  # noqa: E402
from companion.script.model import FrontMatter  # noqa: E402


@pytest.mark.parametrize("front, where, said", [
    ('title = "T"\nfor = "everyone"\n', "3:1", "found for = 'everyone'; expected for to be one of \"leaving\""),
    ('title = "T"\nmoment = 3\n', "3:1", "found moment = 3; expected moment to be one of \"conflict\""),
    ('title = "T"\nminutes = true\n', "3:1", "found minutes = True; expected minutes to be a number of minutes"),
    ('title = "T"\nminutes = 1000\n', "3:1", "found minutes = 1000; expected minutes to be a number"),
    ('title = "T"\nminutes = nan\n', "3:1", "found minutes = nan; expected minutes to be a number"),
    ('title = "T"\nsummary = 5\n', "3:1", "found summary = 5; expected summary to be a string in quotes"),
    ('title = "  "\n', "2:1", "found title = '  '; expected title to be a non-empty string in quotes"),
    ('title = "T\\u001b[2J"\n', "2:1", "found a control character U+001B in the title; expected the title as"),
    ('title = "T"\nfor_ = "pair"\n', "3:1", "found unknown key 'for_'; expected one of for, minutes, moment"),
    ('for = "pair"\n', "1:1", "found no title in the front matter"),
])
def test_each_bad_front_matter_value_is_one_located_line(front, where, said):
    with pytest.raises(ScriptErrors) as caught:
        parse_script("+++\n" + front + "+++\nHi.\n", source="mine.txt", sounds=frozenset())
    message = str(caught.value)
    assert message.startswith(f"mine.txt:{where}: {said}") and "\n" not in message, message


def test_every_bad_key_is_said_once():
    checked = check_script('+++\ntitle = 5\nfor = "x"\nmoment = "y"\nextra = 1\n+++\nHi.\n', sounds=frozenset())
    assert [(e.line, e.found.split(" ")[0]) for e in checked.errors] == \
        [(2, "title"), (3, "for"), (4, "moment"), (5, "unknown")]


def test_the_front_matter_is_the_sequences_own_fields():
    from companion.script.model import Sequence

    assert set(FrontMatter.model_fields) < set(Sequence.model_fields)
    assert FRONT_KEYS == {"title", "for", "moment", "summary", "minutes"}
    assert all(field.description for field in FrontMatter.model_fields.values())


@settings(max_examples=300, deadline=None)
@given(data=st.dictionaries(st.sampled_from(["title", "for", "moment", "summary", "minutes", "x"]), toml_values,
                            max_size=4))
def test_random_front_matter_is_a_sequence_or_located_lines(data):
    checked = check_script("+++\n" + toml_text(data) + "+++\nHi.\n", source="f.txt", sounds=frozenset())
    if checked.sequence is None:
        assert checked.errors and all("\n" not in str(e) and str(e).startswith("f.txt:") for e in checked.errors)
    else:
        assert checked.sequence.title.strip() and checked.sequence.for_ in ("leaving", "reaching", "both", "pair")


# -- the break agreement ---------------------------------------------------------------------------
from companion.together import agreement as kept_agreement  # noqa: E402
from companion.together.agreement import Agreement, AgreementError  # noqa: E402

AGREED = {"version": 1, "made": "2026-11-30", "names": {"A": "Sam", "B": "Alex"}, "word": "Anchor", "minutes": 30,
          "places": {"A": "the park", "B": "the kitchen"}, "sentences": {"A": "I'm flooded", "B": "I need air"},
          "way_back": "We sit quietly first"}


def kept_file(home, data) -> "Path":  # noqa: F821
    path = kept_agreement.path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


@pytest.mark.parametrize("change, said", [
    ({"word": "  "}, "the signal word is empty; type a few words"),
    ({"minutes": 500}, "500 minutes is outside 5 to 180"),
    ({"minutes": [30]}, "the break's length is not a whole number of minutes"),
    ({"places": {"A": "the park"}}, "it lacks 'places.B'"),
    ({"places": "the park"}, "it is not an agreement"),
    ({"sentences": {"A": "x" * 161, "B": "y"}}, "Sam's sentence is longer than 160 characters"),
    ({"places": {"A": "a", "B": "the \x1b[2Jkitchen"}}, "where Alex goes holds a control character"),
    ({"names": {"A": "Sam", "B": "sam"}}, "the two names are the same"),
    ({"names": ["Sam", "Alex"]}, "it is not an agreement"),
    ({"way_back": None}, "the way back is empty"),
])
def test_each_damaged_agreement_is_one_line_naming_the_file_and_what(home, change, said):
    path = kept_file(home, AGREED | change)
    with pytest.raises(AgreementError) as caught:
        kept_agreement.load()
    message = str(caught.value)
    assert message.startswith(f"the kept agreement {path} is damaged ({said}") and "\n" not in message, message
    assert "\x1b" not in message and "validation error" not in message


def test_a_missing_field_is_named():
    with pytest.raises(AgreementError, match=r"^it lacks 'way_back'$"):
        Agreement.from_dict({k: v for k, v in AGREED.items() if k != "way_back"})


def test_a_hand_edited_agreement_is_cleaned_as_a_typed_one(home):
    kept_file(home, AGREED | {"word": "  Anchor  ", "minutes": "45 min", "colour": "red"})
    found = kept_agreement.load()
    assert (found.word, found.minutes) == ("Anchor", 45)
    assert kept_agreement.load() == found  # not as kept: checked each time, the same answer


def test_a_pause_reads_a_kept_agreement_without_pydantic(home):
    import os

    kept_agreement.save(Agreement(AGREED["names"], made=AGREED["made"], word="Anchor", minutes=30,
                                  place_A="the park", place_B="the kitchen", sentence_A="I'm flooded",
                                  sentence_B="I need air", way_back="We sit quietly first"))
    probe = "from companion.together.agreement import for_pause\nprint(for_pause(print).minutes)"
    assert modules_after(probe, dict(os.environ)) == ["30", "[]"]  # as saved: known to the model already
    kept_file(home, AGREED | {"minutes": 45})  # changed by hand: checked again, once
    assert modules_after(probe, dict(os.environ)) == ["45", "['pydantic']"]
    assert modules_after(probe, dict(os.environ)) == ["45", "[]"]
    cache = (home / "cache" / "companion" / "checked-agreement.json").read_text()
    assert "Anchor" not in cache and "kitchen" not in cache  # the words are kept in one place only


def test_a_damaged_agreement_is_said_the_same_from_the_kept_answer(home):
    import os

    kept_file(home, AGREED | {"minutes": 2})
    probe = ("from companion.together.agreement import load, AgreementError\n"
             "try: load()\nexcept AgreementError as e: print(e)")
    first, again = modules_after(probe, dict(os.environ)), modules_after(probe, dict(os.environ))
    assert first[0] == again[0] and "2 minutes is outside 5 to 180" in again[0] and again[1] == "[]"


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=st.dictionaries(st.sampled_from(list(AGREED) + ["x"]), json_values, max_size=3))
def test_random_agreement_files_are_an_agreement_or_one_line(home, changes):
    kept_file(home, AGREED | changes)
    try:
        found = kept_agreement.load()
    except AgreementError as e:
        assert "\n" not in str(e) and str(e).startswith("the kept agreement "), str(e)
    else:
        assert 5 <= found.minutes <= 180 and found.word.strip()


def pause_imports(env: dict, kept=()) -> tuple[str, list[str]]:
    """`pause --leave --text` until its first caption and until the `kept` answers are in the cache, then
    Ctrl-C: (that caption, the modules imported). The agreement may be checked after the first caption."""
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    process = subprocess.Popen([sys.executable, "-X", "importtime", "-m", "companion", "pause", "--leave", "--text"],
                               env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    try:
        first = process.stdout.readline()
        cache = Path(env["XDG_CACHE_HOME"]) / "companion"
        waited = time.monotonic()
        while not all((cache / f"checked-{name}.json").exists() for name in kept) and process.poll() is None:
            assert time.monotonic() - waited < 120, f"the pause kept no answer for {kept} in {cache}"
            time.sleep(0.02)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=120)
    finally:
        process.kill()
    return first, [line.split("|")[-1].strip() for line in err.splitlines() if line.startswith("import time:")]


def test_a_pause_with_a_config_and_an_agreement_imports_no_pydantic_once_they_are_checked(home):
    import os

    from tests.conftest import ESPEAK_GUIDE

    path = home / "config" / "companion" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text(ESPEAK_GUIDE)
    kept_file(home, AGREED)
    first, imported = pause_imports(dict(os.environ), kept=("config", "agreement"))
    assert first == "You stopped. You're still here.\n" and "pydantic" in imported  # each checked, once
    first, imported = pause_imports(dict(os.environ))
    assert first == "You stopped. You're still here.\n"
    # Neither model is imported again. (pydantic itself may be, by the time the Ctrl-C lands: the pause
    # parses its script after the first word, and a loaded machine lets it get that far.)
    assert "companion.config_model" not in imported and "companion.together.agreement_model" not in imported


def test_a_cache_that_cannot_be_written_only_means_checking_again(tmp_path, monkeypatch):
    (tmp_path / "cache").write_text("a file where the cache folder goes")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    path = tmp_path / "config" / "companion" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text("rate = 9\n")
    for _ in range(2):
        with pytest.raises(ConfigError, match=r"config.toml:1: rate = 9; expected"):
            load()
    path.write_text("rate = 200\n")
    assert load().voices.rate_wpm == 200
