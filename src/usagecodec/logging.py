"""Deprecated name of :mod:`usagecodec.telemetry` (it shadowed the standard ``logging``).

``import usagecodec.logging`` keeps working, with a :class:`DeprecationWarning`, and gives the
very same objects; it will be removed in 0.3. Use ``import usagecodec.telemetry``.
"""

from __future__ import annotations

import warnings

from usagecodec.telemetry import *  # noqa: F403 - the same public names
from usagecodec.telemetry import __all__  # noqa: F401 - re-exported as they are

warnings.warn(
    "usagecodec.logging is now usagecodec.telemetry (the old name shadowed the standard "
    "logging module); it will be removed in 0.3",
    DeprecationWarning,
    stacklevel=2,
)
