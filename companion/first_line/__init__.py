"""The first line: the one clip a session plays before anything else loads.

scan: a script's first spoken line, by a light scan of its text. index: the
cache's index (first-words.tsv) that finds that line's clip with `os.stat`
alone, and the package's own shipped first lines (voice/shipped.py) on an
empty cache. sides: the pause's two sides' first lines. `prepare` writes the
index; the start-up path (companion/startup/) and the pause read it. Nothing
here imports Click, pydantic or numpy at the top.
"""
