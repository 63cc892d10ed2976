"""The parts of the ``kinejac`` command line behind :mod:`kinejac.cli` (see its docstring for the layout)."""

__all__: list[str] = []
