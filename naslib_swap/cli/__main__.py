"""``python -m naslib_swap.cli``: the same as the ``naslib-swap`` console script."""
import sys

from . import main

sys.exit(main())
