"""``naslib-swap naslib-run``: install our plugins into NASLib, then run NASLib's own runner script with a config.

NASLib's runners are scripts that read ``sys.argv`` (``--config-file F key value ...``); this command sets
``sys.argv``, installs every proxy of our registry (entry points included) as a NASLib measure and runs the runner
as ``__main__``, unmodified. A config whose ``optimizer`` is one of our searches (``swap_nas``, ...) runs under
NASLib's ``Trainer`` instead, since NASLib's runners hard-code their optimizer dicts.
"""
from __future__ import annotations

import argparse
import runpy
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

from ..errors import NaslibSwapError


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "naslib-run",
        help="run NASLib's own runner (correlation, xgb, bbo, benchmarks) with our proxies/optimizers installed",
        description="Install naslib-swap's proxies and searches into NASLib, then run NASLib's runner script with "
                    "CONFIG and KEY VALUE overrides (NASLib's own syntax), e.g. "
                    "`naslib-swap naslib-run --config predictor_config.yaml predictor swap search_space nasbench201`.",
    )
    p.add_argument("--config", required=True, help="a NASLib config file (YAML)")
    p.add_argument("--runner", default="correlation", choices=("correlation", "xgb", "bbo", "benchmarks"),
                   help="which NASLib runner script (default: correlation)")
    p.add_argument("--zc-json", default=None,
                   help="read zc_<space>.json from this file or folder instead of NASLib's package data "
                        "(e.g. the output of `naslib-swap export`)")
    p.add_argument("--shared-images", type=int, default=None, metavar="N",
                   help="serve NASLib's data loaders from N images of our data folder (real where available, else "
                        "a named stand-in) instead of NASLib's torchvision datasets (which download)")
    p.add_argument("--data-root", default=None, help="our shared data folder (for --shared-images)")
    p.add_argument("--seed", type=int, default=None, help="seed of the generator our measures get (default 0)")
    p.add_argument("--protocol", default=None,
                   help="named protocol our measures run under (suite, swap-paper, lswag-paper, ...): its options "
                        "and its minibatch (the first B images of NASLib's batch_size); default suite")
    p.add_argument("overrides", nargs=argparse.REMAINDER, help="KEY VALUE pairs passed to NASLib's config parser")
    p.set_defaults(func=run)


def _read_config(path: Path) -> dict[str, Any]:
    try:
        with open(path) as f:
            cfg = yaml.safe_load(f) or {}
    except yaml.YAMLError as exc:
        raise NaslibSwapError(f"NASLib config {path} is not valid YAML ({str(exc).splitlines()[0]}); fix the file") \
            from None
    if not isinstance(cfg, dict):
        raise NaslibSwapError(f"NASLib config {path} is not a YAML mapping; write KEY: VALUE lines")
    return cfg


def _config_value(cfg: dict[str, Any], overrides: list[str], name: str) -> Any:
    value = cfg.get(name)
    for key, v in zip(overrides[::2], overrides[1::2]):
        if key == name:
            value = v
    return value


def _config_optimizer(cfg: dict[str, Any], overrides: list[str]) -> Any:
    return _config_value(cfg, overrides, "optimizer")


def _predictor_labels(cfg: dict[str, Any], overrides: list[str]) -> list[str]:
    """The config's ``predictor`` when it is a proxy label with options (``swap[reinits=4]``): NASLib looks measures
    up by that exact name, so it is registered as one."""
    pred = _config_value(cfg, overrides, "predictor")
    return [str(pred)] if isinstance(pred, str) and "[" in pred else []


def run(args: argparse.Namespace) -> int:
    config = Path(args.config)
    if not config.is_file():
        raise NaslibSwapError(f"NASLib config {config} does not exist; pass an existing YAML file to --config")
    overrides = [o for o in args.overrides if o != "--"]
    if len(overrides) % 2:
        raise NaslibSwapError(f"overrides come in KEY VALUE pairs, got an odd number: {' '.join(overrides)}")

    cfg = _read_config(config)
    if args.protocol is not None:  # a typo fails before NASLib is imported
        from ..protocols import get_protocol

        get_protocol(args.protocol)

    # NASLib binds sys.argv[1:] as a default argument of its parse_args when it is first imported: set argv before
    # importing naslib, and re-bind the default (checked) when it was imported earlier in this process.
    sys.argv = ["naslib-run", "--config-file", str(config), *overrides]
    from ..integrations import naslib as nl  # NaslibNotAvailableError (a NaslibSwapError) when NASLib is missing

    optimizer = _config_optimizer(cfg, overrides)
    ours = optimizer is not None and nl.naslib_optimizer_name(str(optimizer)) in nl.optimizer_classes()
    with tempfile.TemporaryDirectory(prefix="naslib-swap-") as tmp:
        if ours:
            # A search config needs keys NASLib's parser writes into (Develop: evaluation); add the missing ones.
            full = nl.complete_search_config(cfg)
            if full != cfg:
                config = Path(tmp) / config.name
                config.write_text(yaml.safe_dump(full))
                sys.argv[2] = str(config)
        nl.bind_argv(sys.argv[1:])

        report = nl.install(seed=args.seed, protocol=args.protocol, labels=_predictor_labels(cfg, overrides))
        print(f"naslib-swap: NASLib {report.branch}; protocol {args.protocol or 'suite'}; measures installed: "
              f"{', '.join(report.installed)}; "
              f"optimizers: {', '.join(report.optimizers) or '(none)'}", file=sys.stderr)
        if args.zc_json:
            nl.use_zc_file(args.zc_json)
        if args.shared_images:
            nl.use_shared_images(args.shared_images, seed=args.seed or 0, data_root=args.data_root)

        if ours:
            nl.run_search_from_args()
            return 0
        runpy.run_path(str(nl.runner_path(args.runner)), run_name="__main__")
    return 0
