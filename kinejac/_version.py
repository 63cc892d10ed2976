__version__ = "0.1.0"  #: the package version (also in pyproject.toml)
