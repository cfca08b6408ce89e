"""Collection settings for the doctests of the package (``--doctest-modules``)."""
from __future__ import annotations

import importlib.util

import pytest

# The NASLib integration imports NASLib at module level; without a NASLib checkout its doctests cannot be collected
# (its tests in tests/test_naslib_integration.py skip with a message instead).
collect_ignore = [] if importlib.util.find_spec("naslib") else ["naslib_swap/integrations/naslib.py"]
collect_ignore += ["scripts"]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    """A docstring example that reads the shared data folder is skipped, with the reason, where the folder is absent
    (as the tests that need it are), instead of failing."""
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed or type(item).__name__ != "DoctestItem":
        return
    from naslib_swap.data.groundtruth import has_data

    if not has_data() and "DataNotFoundError" in str(report.longrepr):
        report.outcome = "skipped"
        report.longrepr = (str(item.path), item.reportinfo()[1] or 0,
                           "Skipped: shared data folder (images) not found: set NASLIB_SWAP_DATA")
