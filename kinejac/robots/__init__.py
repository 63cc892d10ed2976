"""Bundled URDF robot models (data only; ``kinejac.load(name)`` reads them). See README.md.

They live inside the package so that a clone, an editable install and a regular install all find
them the same way (see robots/README.md at the top of the repository).
"""
