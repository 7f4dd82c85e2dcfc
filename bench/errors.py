"""Exceptions that carry a message meant for the user.

The CLI prints a :class:`DerainBenchError` as one line and exits non-zero; anything else is a bug
and keeps its traceback.
"""


class DerainBenchError(Exception):
    """A problem with the user's input or environment, explained in one sentence."""


class UnknownNameError(DerainBenchError, KeyError):
    """A name that is not in a registry."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class IncompatibleComponentsError(DerainBenchError):
    """A combination of components that cannot train together."""


class DataError(DerainBenchError):
    """A dataset folder or image that cannot be used."""


class ConfigError(DerainBenchError):
    """A configuration key or value that cannot be used (unknown key, wrong type, bad value)."""
