"""A break agreement: made on a calm day, kept for the hard one.

Five things, seven fields: the signal word; how long a break lasts; where A goes and
where B goes; the sentence A says before going and B's; the way back. The program
cannot hear, so they are typed at the end of `companion together agreement`, said
back in the guide's voice, and kept in a private file in the data folder.
`companion together --agreement` shows it; a guided pause uses its length as the
break's default and says its word and sentences before the break (`for_pause`).

Pure but for `load`/`save` and the words' file. Light on purpose: the pause calls
`for_pause` before its first word; the kept file's shape is agreement_model.KeptAgreement (pydantic),
whose answer `load` keeps until the file changes.
"""

from __future__ import annotations

from .agreement_fields import (FIELDS, LIMITS, MINUTES_RANGE, NAMED, VERSION,  # noqa: F401 (the agreement's own)
                               check_field, check_minutes, question)

FILE = "agreement.json"
HOW_TO_MAKE = "make one together: companion together agreement"


class AgreementError(ValueError):
    """The kept file cannot be read or holds something no agreement would."""


# -- the whole agreement --------------------------------------------------------------------
class Agreement:
    """The seven fields, the partners' names when it was made, and the day it was made.
    Made only from what the model (agreement_model.KeptAgreement) accepted."""

    __slots__ = ("names", "word", "minutes", "place_A", "place_B", "sentence_A", "sentence_B", "way_back", "made")

    def __init__(self, names: dict[str, str], made: str = "", **fields):
        """ValueError (one line) if any field is wrong: see check_field."""
        flat = {key: fields[key] for key, _, _ in FIELDS if key in fields}
        self._set(_model_checked({"made": made, "names": names, **_nested(flat)}))

    def _set(self, kept: dict) -> None:
        self.names = dict(kept["names"])
        self.word, self.minutes, self.way_back, self.made = kept["word"], kept["minutes"], kept["way_back"], kept["made"]
        self.place_A, self.place_B = kept["places"]["A"], kept["places"]["B"]
        self.sentence_A, self.sentence_B = kept["sentences"]["A"], kept["sentences"]["B"]

    def fields(self) -> dict:
        return {key: getattr(self, key) for key, _, _ in FIELDS}

    def __eq__(self, other) -> bool:
        return isinstance(other, Agreement) and (self.names, self.fields()) == (other.names, other.fields())

    def to_dict(self) -> dict:
        """As kept, and as `--agreement --json` shows it (agreement_model.KeptAgreement's shape)."""
        return {"version": VERSION, "made": self.made, "names": dict(self.names), "word": self.word,
                "minutes": self.minutes, "places": {"A": self.place_A, "B": self.place_B},
                "sentences": {"A": self.sentence_A, "B": self.sentence_B}, "way_back": self.way_back}

    @classmethod
    def from_dict(cls, data) -> Agreement:
        """AgreementError (one line) for anything that is not a kept agreement."""
        try:
            return cls._trusted(_model_checked(data))
        except ValueError as e:
            raise AgreementError(str(e)) from None

    @classmethod
    def _trusted(cls, kept: dict) -> Agreement:
        """From the model's values (or a file the model found to be exactly them)."""
        agreement = cls.__new__(cls)
        agreement._set(kept)
        return agreement


def _nested(flat: dict) -> dict:
    """place_A, sentence_B...: as kept, in pairs."""
    nested = {key: flat[key] for key in ("word", "minutes", "way_back") if key in flat}
    for pair, key in (("places", "place"), ("sentences", "sentence")):
        nested[pair] = {side: flat[f"{key}_{side}"] for side in ("A", "B") if f"{key}_{side}" in flat}
    return nested


def _model_checked(data) -> dict:
    from .agreement_model import checked

    return checked(data)


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
    """The kept agreement; None if there is none; AgreementError (one line, with what to do) if damaged.
    Checked by the model once a change (checked.py): the pause reads it again without pydantic."""
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
        data = json.loads(text)
    except (ValueError, RecursionError):
        return _damaged(where, "it is not JSON")
    from .. import checked

    key = _key(where, text)
    answer = checked.recall("agreement", key, CHECKING_CODE)
    if answer == "as kept":  # the model found the file to be exactly its own values
        try:
            return Agreement._trusted(data)
        except (KeyError, TypeError, AttributeError):
            pass  # not what was checked after all: checked again
    elif isinstance(answer, dict) and isinstance(answer.get("damaged"), str):
        return _damaged(where, answer["damaged"])
    try:
        values = _model_checked(data)
    except ValueError as e:
        checked.keep("agreement", key, CHECKING_CODE, {"damaged": str(e)})
        return _damaged(where, str(e))
    if values == data:  # as save() writes it; a hand-edited file (extra spaces, say) is checked each time
        checked.keep("agreement", key, CHECKING_CODE, "as kept")
    return Agreement._trusted(values)


def _key(where, text: str) -> dict:
    """What the kept answer is for: the file, and a digest of its text (the words stay in one place)."""
    import hashlib

    return {"path": str(where), "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest()}


CHECKING_CODE = ("together/agreement.py", "together/agreement_fields.py", "together/agreement_model.py", "spoken.py")


def _damaged(where, reason: str):
    raise AgreementError(f"the kept agreement {where} is damaged ({reason}); it is ignored; {HOW_TO_MAKE} again")


def save(agreement: Agreement) -> None:
    """Kept in the data folder (0700), the file 0600 from its first byte, replaced whole or not at all."""
    import json

    from ..paths import private_dir, write_private

    from .. import checked

    where, text = path(), json.dumps(agreement.to_dict(), indent=1, ensure_ascii=False) + "\n"
    private_dir(where.parent)
    write_private(where, text)
    checked.keep("agreement", _key(where, text), CHECKING_CODE, "as kept")  # the model's values: the next pause reads it at once
