"""Voices: the speech engines (engine.py: pyttsx3; piper_engine.py: the natural voice), one
level (loudness.py), the cache of rendered clips (clips.py) and the settings (settings.py).
No imports here: reading the settings must not load an engine."""
