"""A break agreement: made on a calm day, kept for the hard one.

Five things, seven fields: the signal word; how long a break lasts; where A goes and
where B goes; the sentence A says before going and B's; the way back. The program
cannot hear, so they are typed at the end of `companion together agreement`, said
back in the guide's voice, and kept in a private file in the data folder.
`companion together --agreement` shows it; a guided pause uses its length as the
break's default and says its word and sentences before the break (`for_pause`).

Pure but for `load`/`save` and the words' file. Light on purpose: the pause calls
`for_pause` (no pydantic until its steps are asked for, no dataclasses).
"""

from __future__ import annotations

FILE = "agreement.json"
VERSION = 1
MINUTES_RANGE = (5, 180)
# key, what is asked (names filled in), the longest answer
FIELDS = (
    ("word", "The signal word for I'm flooded", 30),
    ("minutes", "How long a break lasts, in minutes ({low}-{high})", 3),
    ("place_A", "Where {A} goes for a break", 80),
    ("place_B", "Where {B} goes for a break", 80),
    ("sentence_A", "What {A} says before going", 160),
    ("sentence_B", "What {B} says before going", 160),
    ("way_back", "The way back: what you do first when the break ends", 200),
)
LIMITS = {key: limit for key, _, limit in FIELDS}
NAMED = {"word": "the signal word", "place_A": "where {A} goes", "place_B": "where {B} goes",
         "sentence_A": "{A}'s sentence", "sentence_B": "{B}'s sentence", "way_back": "the way back"}
HOW_TO_MAKE = "make one together: companion together agreement"


class AgreementError(ValueError):
    """The kept file cannot be read or holds something no agreement would."""


# -- one field ------------------------------------------------------------------------
def question(key: str, names: dict[str, str]) -> str:
    text = next(q for k, q, _ in FIELDS if k == key)
    return text.format(low=MINUTES_RANGE[0], high=MINUTES_RANGE[1], **names)


def check_field(key: str, value, names: dict[str, str]):
    """The field's value, cleaned (minutes as an int); ValueError saying what is wrong and how to fix it."""
    if key == "minutes":
        return check_minutes(value)
    what = NAMED[key].format(**names)
    text = " ".join(str(value if value is not None else "").split())  # one line, single spaces
    if not text:
        raise ValueError(f"{what} is empty; type a few words")
    if not str(value).replace("\t", " ").isprintable():
        raise ValueError(f"{what} holds a control character; type words only")
    if len(text) > LIMITS[key]:
        raise ValueError(f"{what} is longer than {LIMITS[key]} characters; say it shorter")
    return text


def check_minutes(value) -> int:
    """A whole number of minutes in MINUTES_RANGE ("30", "30 min" and 30 alike)."""
    import re

    low, high = MINUTES_RANGE
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError(f"the break's length is not a whole number of minutes; type one from {low} to {high}")
    text = str(value).strip()
    match = re.fullmatch(r"(\d{1,4})\s*(?:m|mins?|minutes?)?\.?", text, re.IGNORECASE)
    if not text:
        raise ValueError(f"no number of minutes was typed; type one from {low} to {high}, such as 20")
    if match is None:
        said = f"'{text}'" if text and text.isprintable() and len(text) <= 20 else "that"
        raise ValueError(f"{said} is not a whole number of minutes; type one from {low} to {high}, such as 20")
    minutes = int(match.group(1))
    if not low <= minutes <= high:
        raise ValueError(f"{minutes} minutes is outside {low} to {high}; type a number from {low} to {high}")
    return minutes


# -- the whole agreement --------------------------------------------------------------------
class Agreement:
    """The seven fields, the partners' names when it was made, and the day it was made."""

    __slots__ = ("names", "word", "minutes", "place_A", "place_B", "sentence_A", "sentence_B", "way_back", "made")

    def __init__(self, names: dict[str, str], made: str = "", **fields):
        from ..spoken import check_names

        self.names = check_names(names.get("A", ""), names.get("B", ""))
        missing = [key for key, _, _ in FIELDS if key not in fields]
        if missing:
            raise ValueError(f"{NAMED.get(missing[0], 'the break length').format(**self.names)} is missing")
        for key, _, _ in FIELDS:
            setattr(self, key, check_field(key, fields[key], self.names))
        self.made = str(made)

    def fields(self) -> dict:
        return {key: getattr(self, key) for key, _, _ in FIELDS}

    def __eq__(self, other) -> bool:
        return isinstance(other, Agreement) and (self.names, self.fields()) == (other.names, other.fields())

    def to_dict(self) -> dict:
        """As kept, and as `--agreement --json` shows it."""
        return {"version": VERSION, "made": self.made, "names": dict(self.names), "word": self.word,
                "minutes": self.minutes, "places": {"A": self.place_A, "B": self.place_B},
                "sentences": {"A": self.sentence_A, "B": self.sentence_B}, "way_back": self.way_back}

    @classmethod
    def from_dict(cls, data) -> Agreement:
        """ValueError (AgreementError) for anything that is not a kept agreement."""
        try:
            places, sentences = data["places"], data["sentences"]
            return cls(data["names"], made=data.get("made", ""), word=data["word"], minutes=data["minutes"],
                       place_A=places["A"], place_B=places["B"], sentence_A=sentences["A"],
                       sentence_B=sentences["B"], way_back=data["way_back"])
        except (KeyError, TypeError, AttributeError) as e:
            raise AgreementError(f"it lacks {e}" if isinstance(e, KeyError) else "it is not an agreement") from None
        except ValueError as e:
            raise AgreementError(str(e)) from None


def shown(agreement: Agreement) -> list[str]:
    """What `companion together --agreement` prints."""
    a, b = agreement.names["A"], agreement.names["B"]
    rows = [("Signal word", agreement.word), ("A break", f"{agreement.minutes} minutes"),
            (f"{a} goes to", agreement.place_A), (f"{b} goes to", agreement.place_B),
            (f"{a} says", f'"{agreement.sentence_A}"'), (f"{b} says", f'"{agreement.sentence_B}"'),
            ("The way back", agreement.way_back)]
    width = max(len(label) for label, _ in rows) + 1
    made = f" (made {agreement.made})" if agreement.made else ""
    return [f"Your break agreement, {a} and {b}{made}:",
            *(f"  {label + ':':<{width}} {value}" for label, value in rows),
            f"companion pause keeps to it: a break of {agreement.minutes} minutes, "
            "and your word and sentences said before it."]


# -- said back, and in a pause -----------------------------------------------------------------
WORDING = ("agreed", "word", "minutes", "place", "sentence", "same_sentence", "way_back", "closing", "kept", "pause")


def words() -> dict[str, str]:
    """The spoken wording, from scripts/_spoken.toml's [agreement] (a user's own file may replace
    it, as any of its lines); ValueError saying what is wrong."""
    from .. import lines

    try:
        return {key: lines.raw(f"agreement.{key}") for key in WORDING}
    except lines.LinesError as e:
        raise ValueError(str(e)) from None


def _said(text: str) -> str:
    """A typed answer as the end of a spoken sentence: it ends with a stop."""
    return text if text[-1:] in ".!?\"'" else text + "."


def _sentence_lines(agreement: Agreement, w: dict[str, str]) -> list[tuple[str, str]]:
    a, b = agreement.sentence_A, agreement.sentence_B
    if _plain(a) == _plain(b):
        return [_quoted(w["same_sentence"], {"sentence": a})]
    return [_quoted(w["sentence"], {"name": agreement.names[label], "sentence": text})
            for label, text in (("A", a), ("B", b))]


def _plain(text: str) -> str:
    return "".join(c for c in text.casefold() if c.isalnum())


def _quoted(template: str, values: dict[str, str]) -> tuple[str, str]:
    """(spoken, caption): the sentence said plainly, shown in quotes as the words to say."""
    spoken = template.format(**{k: _said(v) if k == "sentence" else v for k, v in values.items()})
    caption = template.format(**{k: f'"{_said(v)}"' if k == "sentence" else v for k, v in values.items()})
    return spoken, caption


def said_back(agreement: Agreement, w: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """The agreement as the guide says it back: (spoken text, caption) a line."""
    w = w or words()
    names = agreement.names
    plain = [w["agreed"], _said(w["word"].format(word=agreement.word)), w["minutes"].format(minutes=agreement.minutes),
             _said(w["place"].format(name=names["A"], place=agreement.place_A)),
             _said(w["place"].format(name=names["B"], place=agreement.place_B))]
    after = [_said(w["way_back"].format(way_back=agreement.way_back)), w["closing"], w["kept"]]
    return [(t, t) for t in plain] + _sentence_lines(agreement, w) + [(t, t) for t in after]


def pause_lines(agreement: Agreement, w: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """What a guided pause says before the break, on the leaving side. Whoever runs it may be
    A or B, and a flooded body should not be asked which: both sentences are said, each with
    its name (one line when they are the same), and each picks their own. The lines are the
    said-back's own, so they are in the speech cache already."""
    w = w or words()
    return [(w["agreed"], w["agreed"]), (_said(w["word"].format(word=agreement.word)),) * 2,
            *_sentence_lines(agreement, w), (w["pause"], w["pause"])]


def steps(lines: list[tuple[str, str]], bell: bool = False) -> list:
    """The lines as script steps, in the guide's voice (a soft bell after, when asked)."""
    from ..script import Bell, Speak

    out = [Speak(line=1, text=text, caption=caption if caption != text else "") for text, caption in lines]
    return out + ([Bell(line=1, soft=True)] if bell else [])


class ForPause:
    """What a guided pause takes from a kept agreement: the break's length now (before the first
    word), the lines to say only when they are due (reading their wording costs a few ms)."""

    __slots__ = ("agreement", "minutes", "warn")

    def __init__(self, agreement: Agreement, warn):
        self.agreement, self.minutes, self.warn = agreement, agreement.minutes, warn

    def steps(self) -> list:
        """The guide's lines before the break; [] (with one line said) if its wording cannot be read."""
        try:
            return steps(pause_lines(self.agreement))
        except Exception as e:  # the length still holds; only the words are not said
            from ..debug import report

            report(e)
            self.warn(f"companion: the agreement's words cannot be said ({e}); its {self.minutes} minutes still hold")
            return []


def for_pause(warn) -> ForPause | None:
    """The kept agreement, for a guided pause; None when there is none. Never raises: a damaged
    file gets one line (`warn`), and the pause goes on as it would without one."""
    try:
        agreement = load()
    except Exception as e:  # a damaged agreement is none, said in one line
        from ..debug import report

        report(e)
        warn(f"companion: {e}")
        return None
    return None if agreement is None else ForPause(agreement, warn)


# -- kept, privately -----------------------------------------------------------------------------
def path():
    from ..paths import data_dir

    return data_dir() / FILE


def load() -> Agreement | None:
    """The kept agreement; None if there is none; AgreementError (one line, with what to do) if damaged."""
    import json

    where = path()
    try:
        text = where.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as e:
        raise AgreementError(f"the kept agreement {where} cannot be read ({getattr(e, 'strerror', None) or e}); "
                             f"{HOW_TO_MAKE}") from None
    try:
        return Agreement.from_dict(json.loads(text))
    except ValueError as e:  # JSONDecodeError, AgreementError
        reason = "it is not JSON" if isinstance(e, json.JSONDecodeError) else str(e)
        raise AgreementError(f"the kept agreement {where} is damaged ({reason}); it is ignored; "
                             f"{HOW_TO_MAKE} again") from None


def save(agreement: Agreement) -> None:
    """Kept in the data folder (0700), the file 0600 from its first byte, replaced whole or not at all."""
    import json

    from ..paths import private_dir, write_private

    where = path()
    private_dir(where.parent)
    write_private(where, json.dumps(agreement.to_dict(), indent=1, ensure_ascii=False) + "\n")
