"""The partner link of issue 21: pairing once (identity, pairing, discovery), then the encrypted channel.

Nothing here is imported on the way to a session's first word, and the network libraries
(cryptography, spake2, zeroconf) are imported only inside the functions that use them.
"""
