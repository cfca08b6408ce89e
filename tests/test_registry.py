import pytest

from naslib_swap.errors import DuplicateNameError, UnknownNameError
from naslib_swap.registry import PROXIES, ProxySpec, Registry, get_proxy, list_proxies, list_spaces, register_proxy


def test_builtin_proxies_listed_with_wildcards():
    assert {"swap", "reg_swap", "params", "flops"} <= set(list_proxies())
    assert list_proxies("*swap") == [n for n in list_proxies() if n.endswith("swap")]
    assert "params" in list_proxies("par*,flo*") and "flops" in list_proxies("par*,flo*")
    assert list_proxies("no_such_*") == []


def test_unknown_proxy_lists_known_ones():
    with pytest.raises(UnknownNameError) as e:
        get_proxy("swapp")
    msg = str(e.value)
    assert "unknown proxy 'swapp'" in msg and "reg_swap" in msg and "\n" not in msg


def test_metadata_is_read_not_names():
    spec = get_proxy("swap")
    assert isinstance(spec, ProxySpec)
    assert spec.higher_is_better and not spec.needs_grad and not spec.needs_labels
    assert get_proxy("params").bn_mode == "eval"
    md = spec.metadata()
    assert md["options"] == {"init": "default", "reinits": 1}


def test_register_duplicate_rejected_and_reimport_idempotent():
    reg: Registry = Registry("proxy", "naslib_swap.test_group_that_does_not_exist")

    def f(net, batch, ctx):
        return 1.0

    register_proxy("dup", registry=reg)(f)
    register_proxy("dup", registry=reg)(f)  # same source again: no error (module re-import)

    def g(net, batch, ctx):
        return 2.0

    with pytest.raises(DuplicateNameError) as e:
        register_proxy("dup", registry=reg)(g)
    assert "test_registry:test_register_duplicate_rejected_and_reimport_idempotent.<locals>.f" in str(e.value)
    assert ".<locals>.g" in str(e.value)


def test_decorator_registers_into_global_registry():
    @register_proxy("tmp_test_proxy", higher_is_better=False, needs_labels=True)
    def tmp(net, batch, ctx):
        """A temporary proxy."""
        return 0.0

    try:
        spec = get_proxy("tmp_test_proxy")
        assert not spec.higher_is_better and spec.needs_labels and spec.description == "A temporary proxy."
    finally:
        PROXIES.remove("tmp_test_proxy")
    assert "tmp_test_proxy" not in list_proxies()


def test_spaces_registered():
    assert "nasbench201" in list_spaces()
