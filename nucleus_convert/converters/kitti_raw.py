"""The ``kitti_raw`` format (being built: it registers nothing yet)."""

from __future__ import annotations
