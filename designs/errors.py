"""Errors the command line reports as one line: bad input (exit code 2) or a failed tool (exit 1)."""

__all__ = ["UsageError", "ToolError"]


class UsageError(ValueError):
    """A bad design name, parameter, flag or input file; the message names the value and the choices."""


class ToolError(RuntimeError):
    """A tool that failed on a valid request (synthesis, a simulator build): not a usage error."""
