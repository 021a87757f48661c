"""`python -m companion` and the `companion` console script: the front door is companion/startup/."""

from .startup.main import main

if __name__ == "__main__":
    main()
