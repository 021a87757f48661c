"""Voices: speech engines and the cache of rendered clips."""

from .clips import ClipStore, VoiceSettings
from .engine import EngineError, EngineUnavailable, Pyttsx3Engine, VoiceInfo

__all__ = ["ClipStore", "VoiceSettings", "EngineError", "EngineUnavailable", "Pyttsx3Engine", "VoiceInfo"]
