"""User-facing errors.

Every error a user can cause derives from :class:`NaslibSwapError`. Its message is one line that names the problem
and the fix; the CLI prints it without a traceback and exits non-zero.
"""
from __future__ import annotations


class NaslibSwapError(Exception):
    """Base class of the errors caused by bad input or a missing resource.

    ``param`` names the parameter at fault (``batch_size``, ``archs``): the library speaks in its own terms and the
    command line adds its flag to the message (``naslib_swap.cli``), so no library message names a flag.
    """

    def __init__(self, *args: object, param: str | None = None) -> None:
        super().__init__(*args)
        self.param = param


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


class GrammarError(NaslibSwapError, ValueError):
    """A user string (proxy label, option, list, range) that does not follow the grammar of
    :mod:`naslib_swap.grammar`."""


class OptionError(NaslibSwapError, ValueError):
    """An option a proxy or search does not declare, or a value of the wrong type."""
