"""The fast path of every session: the first word before Click, pydantic or numpy are imported.

options: one table of each session command's options, for Click and for the fast parser.
first_line: a script's first spoken line by a light scan. first_words: the cache index that
finds that line's clip by `os.stat` alone. early: the sound device opening in a thread.
play: `companion play NAME`'s prelude.
"""
