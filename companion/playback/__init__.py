"""Playing a sequence: timeline -> cursor -> player -> outputs, on pcm (the session that drives it: session/)."""
