"""`python -m companion` and the `companion` console script.

`companion pause` skips Click altogether (see companion/pause/fast.py): in
the middle of a fight, every import is time before the first word.
"""

import sys


def main() -> None:
    args = sys.argv[1:]
    if args[:1] == ["pause"] and not {"-h", "--help"} & set(args):
        from .pause.fast import main as pause

        try:
            code = pause(args[1:])
        except KeyboardInterrupt:
            code = 130
        sys.exit(code)
    from .cli import main as click_main

    click_main()


if __name__ == "__main__":
    main()
