"""The front door: usagecodec.__all__ lists exactly the public names, sorted."""

from __future__ import annotations

import usagecodec


def _isort_key(name: str) -> tuple[int, str]:
    # The order ruff's RUF022 keeps: CONSTANTS, then Classes, then functions and dunders.
    if name.isupper():
        return (0, name)
    if name[0].isupper():
        return (1, name)
    return (2, name)


def test_all_is_sorted() -> None:
    """__all__ is kept in isort order (constants, classes, functions)."""
    assert list(usagecodec.__all__) == sorted(usagecodec.__all__, key=_isort_key)


def test_all_matches_public_names() -> None:
    """Every public attribute of the package is in __all__ and every name in it exists."""
    public = {
        name
        for name, value in vars(usagecodec).items()
        if not name.startswith("_") and not isinstance(value, type(usagecodec))
    } | {"__version__"}
    assert set(usagecodec.__all__) == public


def test_public_names_are_documented() -> None:
    """Every exported class and function has a docstring."""
    for name in usagecodec.__all__:
        obj = getattr(usagecodec, name)
        if callable(obj) and getattr(obj, "__module__", "") != "typing":
            assert obj.__doc__, name
