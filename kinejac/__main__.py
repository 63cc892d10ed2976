"""``python -m kinejac`` and the ``kinejac`` console script: see :mod:`kinejac.cli`."""

from .cli import main

__all__ = ["main"]

if __name__ == "__main__":
    raise SystemExit(main())
