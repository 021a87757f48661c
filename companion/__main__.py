"""`python -m companion` and the `companion` console script.

`companion pause` skips Click altogether (see companion/pause/fast.py): in
the middle of a fight, every import is time before the first word.
"""

import sys


def _import_sounddevice() -> None:
    try:
        import sounddevice  # noqa: F401  (PortAudio starts up here, in C)
    except Exception:
        pass  # opening the device later says what is wrong, in one line


def main() -> None:
    args = sys.argv[1:]
    if args[:1] == ["pause"] and not {"-h", "--help"} & set(args):
        if "--text" not in args:
            # PortAudio's start-up (about 40 ms, in C, the interpreter lock
            # released) runs while the rest of companion imports.
            import threading

            threading.Thread(target=_import_sounddevice, daemon=True).start()
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
