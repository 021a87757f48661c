"""`python -m companion` and the `companion` console script."""

from .cli import main

if __name__ == "__main__":
    main()
