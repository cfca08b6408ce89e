"""``python -m naslib_swap``: the same as the ``naslib-swap`` console script."""
import sys

from .cli import main

sys.exit(main())
