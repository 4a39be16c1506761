"""Hook specifications: the whole contract between nucleus-convert and a format plugin.

A plugin is a module (or object) with functions marked ``@hookimpl``; a third party exposes it
through the entry point group ``nucleus_convert`` in its ``pyproject.toml``::

    [project.entry-points.nucleus_convert]
    yolo = "nucleus_convert_yolo.plugin"

The built-in formats register through exactly these hooks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from nucleus_convert.registry import Registrar

__all__ = ["hookimpl", "hookspec", "register_formats"]

PROJECT_NAME = "nucleus_convert"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def register_formats(register: Registrar) -> None:
    """Declare formats by calling ``register.add(Format(...))`` once per format.

    Called once per plugin when the registry is first built. A name already taken by another
    plugin is an error naming both plugins.
    """
