"""Which architectures a NAS-Bench-Suite-Zero run scores: NASLib's draw, reproduced exactly.

How NASLib draws them (branch ``zerocost``; ``naslib/runners/runner.py``, ``evaluators/zc_evaluator.py``,
``search_spaces/*/graph.py``, ``utils/utils.py``):

1. ``utils.set_seed(seed)`` seeds numpy, Python's ``random`` and torch.
2. ``get_search_space(...)`` builds the ``Graph`` objects of the space, and ``Graph.__init__`` draws
   ``self._id = random.random()`` for each: the global ``random`` generator advances by a fixed count per space
   before anything is sampled (the space's ``naslib_pre_draw``: NB201 17, NB301 8, TransNAS-Bench-101 micro and
   macro 1, NB101 1). These counts were measured by running NASLib's own ``zerocost`` code (``utils.set_seed``,
   ``ZeroCost``, ``get_search_space``, ``clone``) and comparing generator states; nothing else in the runner
   (zc json load, ``ZeroCost``, ``clone``, ``pre_process``) and nothing per draw (``set_spec``) consumes numbers.
3. ``search_space.labeled_archs = [eval(arch) for arch in zc_api.keys()]``: the keys of ``zc_<space>.json[dataset]``
   in file order.
4. ``ZeroCostPredictorEvaluator.load_dataset(load_labeled=True, data_size=test_size)`` calls
   ``sample_random_labeled_architecture`` ``test_size`` times, i.e. ``random.choice(labeled_archs)``: WITH
   replacement, so a sample of 1000 from 9,445 archs holds repeats, and the metrics are computed over the list with
   its repeats. NASLib's ``sample_without_replacement = True`` pops each drawn arch from the list; ``unique=True``
   reproduces that mode (``--unique``).

This module uses a private :class:`random.Random` seeded the way ``random.seed(seed)`` seeds the global one and
advanced by the space's pre-draw count, so it gives NASLib's draw (checked against NASLib's own evaluator for NB201
with and without replacement, NB301 and both TransNAS-Bench-101 spaces) without touching global state.

Example:
    >>> keys = [str((i, 0)) for i in range(10)]
    >>> import random; random.seed(9000)
    >>> _ = [random.random() for _ in range(17)]  # NASLib's NB201 constructor
    >>> sample_archs(keys, 3, 9000, pre_draw=17) == [random.choice(keys) for _ in range(3)]
    True
"""
from __future__ import annotations

import random
from pathlib import Path
from typing import Any, Sequence

from ..errors import NaslibSwapError
from ..registry import get_space


class SamplerError(NaslibSwapError):
    """A key list that cannot be found or a sample that cannot be drawn."""


def _space(space: Any) -> Any:
    return get_space(space) if isinstance(space, str) else space


def suite_keys(space: Any, dataset: str, data_root: str | Path | None = None, source: str = "suite") -> list[str]:
    """The architecture keys a suite run samples from, in the order of the suite's ``zc_<space>.json``.

    Args:
        space: the space, or its NASLib name.
        dataset: dataset / task.
        data_root: the shared data folder.
        source: ``suite`` (NB201: the 9,445 archs of ``nb201/suite_zero_<dataset>.csv``; cifar100, which has no suite
            CSV, uses the same 9,445-arch list, the suite's NB201 arch set, identical in order for cifar10 and
            ImageNet16-120; other spaces: the preview file) or ``preview`` (the keys of
            ``suite_zero_preview/zc_<space>.json[dataset]``, 500-725 archs). A space with a table of its own (the
            AutoFormer ViTs) always draws from its ``table_keys``.

    Raises:
        SamplerError: an unknown source or a dataset the file does not hold.
    """
    from ..data import groundtruth as gt

    if source not in ("suite", "preview"):
        raise SamplerError(f"unknown key source '{source}'; use key_source=suite or key_source=preview")
    own = _space(space).table_keys(dataset, data_root)  # a space with a table of its own (the AutoFormer ViTs)
    if own is not None:
        return own
    files = _space(space).suite_final_files
    if files and source == "suite":  # one arch list for every dataset of the space: the first table's where absent
        table = gt.nb201_suite_table(files.get(dataset, next(iter(files.values()))), data_root)
        return [str(a) for a in table["arch"]]
    return list(preview_task(space, dataset, data_root))


def preview_task(space: Any, dataset: str, data_root: str | Path | None = None) -> dict:
    """``zc_<space>.json[dataset]`` of the preview files; NB101's older flat schema is nested one level deeper."""
    from ..data import groundtruth as gt

    space = _space(space).name
    data = gt.preview_zc(space, data_root)
    if dataset in data:
        return data[dataset]
    for inner in data.values():  # NB101: {"nasbench101": {"cifar10": {...}}}
        if isinstance(inner, dict) and dataset in inner and isinstance(inner[dataset], dict):
            return inner[dataset]
    raise SamplerError(f"the suite preview file for {space} has no task '{dataset}'; its tasks: {', '.join(data)}")


def sample_archs(keys: Sequence[str], n: int, seed: int, unique: bool = False, *, space: Any = None,
                 pre_draw: int | None = None) -> list[str]:
    """The ``n`` keys NASLib's zero-cost evaluator draws after ``utils.set_seed(seed)``.

    Args:
        keys: the zc file's keys in file order (:func:`suite_keys`).
        n: ``test_size``.
        seed: the run's seed (suite: 9000-9004).
        unique: NASLib's ``sample_without_replacement`` mode (each drawn key is removed from the list).
        space: the NASLib space (or its name); sets ``pre_draw`` from its ``naslib_pre_draw`` (give it to get
            NASLib's draw).
        pre_draw: ``random.random()`` calls to skip before drawing (overrides ``space``; default 0 without a space:
            a plain ``random.seed(seed)`` then ``random.choice``).

    Raises:
        SamplerError: no keys, or ``unique`` with ``n`` above the number of keys.
    """
    pool = list(keys)
    if not pool:
        raise SamplerError("no architecture keys to sample from; check the space/dataset and the data folder")
    if n < 1:
        raise SamplerError(f"the number of archs must be at least 1, got {n}", param="archs")
    if unique and n > len(pool):
        raise SamplerError(f"a draw without replacement of {n} archs needs as many keys, but the list has {len(pool)}; "
                           f"ask for fewer archs", param="archs")
    rnd = random.Random(seed)  # same state as random.seed(seed) gives the global generator
    skip = pre_draw if pre_draw is not None else (_space(space).naslib_pre_draw if space is not None else 0)
    for _ in range(int(skip)):
        rnd.random()  # what NASLib's Graph constructors consume before the draw
    out = []
    for _ in range(n):
        k = rnd.choice(pool)
        if unique:
            pool.pop(pool.index(k))  # NASLib pops by value, as here
        out.append(k)
    return out
