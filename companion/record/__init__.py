"""`companion record`: a person's own voice for the library's lines, taken line by line from the microphone.

takes.py is the pure core (where speech is, trimming, levelling, what is wrong with a take, when to
stop); asked.py which lines a sequence asks for; microphone.py the input device; session.py the
conversation at the terminal; recording.py that conversation with the real keys, screen, microphone and
speakers. The takes are kept by companion/voice/recorded.py.
"""
