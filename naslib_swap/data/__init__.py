"""Inputs and ground truth: the shared benchmark data folder, image batches with named stand-ins."""
from .paths import data_file, resolve_data_root

__all__ = ["data_file", "resolve_data_root"]
