"""companion: an offline, voice-guided regulation companion for couples."""

__version__ = "0.1.0"
