"""Every benchmark, one after another (`make bench`). Prints figures; asserts nothing.

Each bench runs in its own process with its own sound server and temp dirs,
so one that fails (its traceback is shown) does not stop the others; the exit
code is 1 if any failed.
"""

import subprocess
import sys
import time
from pathlib import Path

BENCHES = ["first_sound.py", "pause_first_word.py", "natural_voice.py", "boundaries.py", "memory.py", "progress.py",
           "listing.py"]


def main() -> int:
    here = Path(__file__).resolve().parent
    failed = []
    for name in BENCHES:
        started = time.monotonic()
        done = subprocess.run([sys.executable, str(here / name)], cwd=here.parent)
        print(f"({name}: {time.monotonic() - started:.0f} s{'' if done.returncode == 0 else ', FAILED'})\n",
              flush=True)
        if done.returncode != 0:
            failed.append(name)
    if failed:
        print("failed:", ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
