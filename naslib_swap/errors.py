"""User-facing errors.

Every error a user can cause derives from :class:`NaslibSwapError`. Its message is one line that names the problem
and the fix; the CLI prints it without a traceback and exits non-zero.
"""
from __future__ import annotations


class NaslibSwapError(Exception):
    """Base class of the errors caused by bad input or a missing resource."""


class UnknownNameError(NaslibSwapError, KeyError):
    """A proxy, space, dataset or search name that is not registered."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class DuplicateNameError(NaslibSwapError):
    """Two registrations (built-in or entry points) claim the same name."""


class ArchFormatError(NaslibSwapError, ValueError):
    """An architecture that cannot be parsed or is invalid for its space."""


class DataNotFoundError(NaslibSwapError, FileNotFoundError):
    """A data file (images, ground truth) is missing."""


class ProxyInputError(NaslibSwapError, ValueError):
    """A network or batch that a proxy cannot score (e.g. SWAP on a net without ReLU/GELU)."""
