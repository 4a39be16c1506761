"""How a reader records that it scaled point intensities into the model's 0..1 (item metadata), so
that a writer can put the source's scale back. Shared by every point cloud format.
"""

from __future__ import annotations

from typing import Any

__all__ = ["INTENSITY_SCALE_KEY", "INTENSITY_SOURCE_KEY", "intensity_metadata"]

INTENSITY_SOURCE_KEY = "intensity_source"
INTENSITY_SCALE_KEY = "intensity_scale"


def intensity_metadata(source: str, scale: float) -> dict[str, Any]:
    """The item metadata recording how intensity was scaled (empty when it was not)."""
    if scale == 1.0:
        return {}
    return {INTENSITY_SOURCE_KEY: source, INTENSITY_SCALE_KEY: round(scale)}
