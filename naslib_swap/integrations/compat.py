"""Python >= 3.10 aliases NASLib's ``Develop`` branch still imports (``from collections import Iterable``).

NASLib's ``naslib/predictors/gp`` does ``from collections import Iterable``, removed from ``collections`` in Python
3.10; ``import naslib.predictors`` fails there with ``ImportError: cannot import name 'Iterable'``. The package root
calls :func:`add_collections_aliases` on import, so ``import naslib_swap`` anywhere before the first
``naslib.predictors`` import is enough. Only missing names are added (the ``collections.abc`` classes themselves);
nothing existing is replaced. This module imports nothing from NASLib.

Example:
    >>> import collections
    >>> add_collections_aliases()
    >>> collections.Iterable is collections.abc.Iterable
    True
"""
from __future__ import annotations

import collections
import collections.abc

ALIASES = ("Iterable", "Mapping", "MutableMapping", "Sequence", "Callable")


def add_collections_aliases() -> list[str]:
    """Add the missing ``collections.<name>`` aliases of :data:`ALIASES`; returns the names added."""
    added = []
    for name in ALIASES:
        if not hasattr(collections, name):
            setattr(collections, name, getattr(collections.abc, name))
            added.append(name)
    return added
