"""The front door: what `companion` answers before Click is imported (companion/__main__.py calls main).

main: the door itself; it sends `pause`, `progress` and a `play` whose first
line is cached their short way, opens the device early for `daily` and
`together`, and hands everything else (and the early device) to the CLI.
play: `companion play NAME`'s first line. progress: `companion progress`.
Nothing in companion imports this package: it stands on the top floor and
only calls down (options, first_line, playback.early, pause.moment, cli).
"""
