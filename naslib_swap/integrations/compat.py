"""Python >= 3.10 aliases NASLib's ``Develop`` branch still imports (``from collections import Iterable``).

NASLib's ``naslib/predictors/gp`` does ``from collections import Iterable``, removed from ``collections`` in Python
3.10; ``import naslib.predictors`` fails there with ``ImportError: cannot import name 'Iterable'``. The package root
calls :func:`add_collections_aliases` on import, so ``import naslib_swap`` anywhere before the first
``naslib.predictors`` import is enough. Only missing names are added (the ``collections.abc`` classes themselves);
nothing existing is replaced. This module imports nothing from NASLib.

Example:
    >>> import collections
    >>> _ = add_collections_aliases()
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


def _major_minor(version: str | None) -> tuple[int, int] | None:
    if not version:
        return None
    parts = version.split("+")[0].split(".")
    try:
        return int(parts[0]), int("".join(ch for ch in (parts[1] if len(parts) > 1 else "0") if ch.isdigit()) or 0)
    except ValueError:
        return None


def installed_version(dist: str) -> str | None:
    """The installed version of distribution ``dist``, or None."""
    from importlib import metadata

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


NASLIB_PINS = {"numpy": "numpy<2", "pandas": "pandas<3", "scikit-learn": "scikit-learn<1.6"}


def version_problems(versions: dict[str, str | None]) -> list[tuple[str, str]]:
    """(problem, fix) for package versions known to break NASLib, some silently.

    Example:
        >>> [fix for _, fix in version_problems({"numpy": "2.1.0", "pandas": "2.2.3", "scikit-learn": "1.6.1"})]
        ['pip install "numpy<2"', 'pip install "scikit-learn<1.6"']
    """
    out = []
    np_v, pd_v, sk_v = (_major_minor(versions.get(d)) for d in ("numpy", "pandas", "scikit-learn"))
    if np_v and np_v >= (2, 0):
        out.append((f"numpy {versions['numpy']}: NASLib's zc-api lookups by str(arch) raise KeyError "
                    "(np.int64 reprs) and count_parameters_in_MB raises TypeError", 'pip install "numpy<2"'))
    if pd_v and pd_v >= (3, 0):
        out.append((f"pandas {versions['pandas']}: NASLib's pandas code targets 1.x/2.x", 'pip install "pandas<3"'))
    if sk_v and sk_v >= (1, 6):
        out.append((f"scikit-learn {versions['scikit-learn']}: mean_squared_error(squared=False) raises inside a bare "
                    "except in NASLib's compute_scores: every correlation becomes NaN, silently",
                    'pip install "scikit-learn<1.6"'))
    return out


def matching_torchvision(torch_version: str) -> str | None:
    """The torchvision minor release built against ``torch_version`` (torch 2.x.y pairs with torchvision 0.(x+15)).

    Example:
        >>> matching_torchvision("2.13.0+cpu")
        '0.28'
    """
    v = _major_minor(torch_version)
    if v is None or v[0] != 2:
        return None
    return f"0.{v[1] + 15}"
