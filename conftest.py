"""Collection settings for the doctests of the package (``--doctest-modules``)."""
import importlib.util

# The NASLib integration imports NASLib at module level; without a NASLib checkout its doctests cannot be collected
# (its tests in tests/test_naslib_integration.py skip with a message instead).
collect_ignore = [] if importlib.util.find_spec("naslib") else ["naslib_swap/integrations/naslib.py"]
collect_ignore += ["scripts"]
