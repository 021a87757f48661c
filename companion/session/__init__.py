"""A session: the loop that plays a sequence with keys, a screen and a journal row (above playback/)."""
