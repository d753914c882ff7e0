"""The package version, in a module of its own so that no part needs the package to know it."""

__version__ = "0.1.0"
