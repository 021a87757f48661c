"""Playing a sequence: timeline -> cursor -> outputs, one session at a time."""
