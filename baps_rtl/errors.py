"""Errors that the CLI reports as one line with exit code 2 (bad input, not a bug)."""


class UsageError(ValueError):
    """A bad unit name, parameter, flag or input file; the message names the value and the choices."""
