"""The plugin manager: built-in formats and third-party plugins, loaded the same way.

Built-ins are modules of this package registered on the manager; third-party plugins come from
the entry point group ``nucleus_convert``. Environment variables:

``NUCLEUS_CONVERT_NO_PLUGINS=1``
    load no third-party plugin (built-ins only); the way to start when a plugin breaks start-up.
``NUCLEUS_CONVERT_DISABLE_PLUGINS=name,...``
    skip the named entry points (or every entry point of the named distributions).
``NUCLEUS_CONVERT_TRACE_PLUGINS=1``
    log every hook call and its results to stderr.

A plugin that fails to import, implements a hook that does not exist, or registers a format
name already taken raises :class:`~nucleus_convert.errors.PluginError` naming it: never
swallowed.
"""

from __future__ import annotations

import importlib
import os
import sys
from dataclasses import dataclass, field
from importlib import metadata

import pluggy

from nucleus_convert import hookspecs
from nucleus_convert.errors import PluginError
from nucleus_convert.registry import FormatRegistry

__all__ = [
    "BUILTIN_PLUGINS",
    "ENTRY_POINT_GROUP",
    "PluginInfo",
    "get_plugin_manager",
    "get_registry",
    "list_plugins",
    "reset",
]

ENTRY_POINT_GROUP = "nucleus_convert"
BUILTIN_PLUGINS = (
    "nucleus_convert.converters.coco",
    "nucleus_convert.converters.cvat",
    "nucleus_convert.converters.kitti",
    "nucleus_convert.converters.kitti_raw",
    "nucleus_convert.converters.labelme",
    "nucleus_convert.converters.labelstudio",
    "nucleus_convert.converters.nucleus",
    "nucleus_convert.converters.nuscenes",
    "nucleus_convert.converters.pointcloud",
    "nucleus_convert.converters.voc",
)
NO_PLUGINS_ENV = "NUCLEUS_CONVERT_NO_PLUGINS"
DISABLE_ENV = "NUCLEUS_CONVERT_DISABLE_PLUGINS"
TRACE_ENV = "NUCLEUS_CONVERT_TRACE_PLUGINS"


@dataclass(slots=True)
class PluginInfo:
    """One loaded plugin: where it comes from and what it registered."""

    name: str
    distribution: str
    version: str
    builtin: bool
    formats: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _State:
    pm: pluggy.PluginManager
    registry: FormatRegistry
    infos: dict[str, PluginInfo]


_state: _State | None = None


def reset() -> None:
    """Forget the loaded plugins; the next lookup loads them again (tests use this)."""
    global _state
    _state = None


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() not in ("", "0", "false", "no", "off")


def _own_version() -> str:
    try:
        return metadata.version("nucleus-convert")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def _load() -> _State:
    pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    if _truthy(os.environ.get(TRACE_ENV)):
        pm.trace.root.setwriter(lambda msg: print(msg, end="", file=sys.stderr))
        pm.enable_tracing()

    infos: dict[str, PluginInfo] = {}
    version = _own_version()
    for module_name in BUILTIN_PLUGINS:
        module = importlib.import_module(module_name)
        _register(pm, module, module_name)
        infos[module_name] = PluginInfo(module_name, "nucleus-convert", version, builtin=True)

    if not _truthy(os.environ.get(NO_PLUGINS_ENV)):
        disabled = {n.strip() for n in os.environ.get(DISABLE_ENV, "").split(",") if n.strip()}
        for ep in sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            dist_name = ep.dist.name if ep.dist is not None else "?"
            dist_version = ep.dist.version if ep.dist is not None else "?"
            if ep.name in disabled or dist_name in disabled:
                continue
            if ep.name in infos:
                raise PluginError(
                    f"plugin {ep.name!r} (distribution {dist_name}) uses a name already taken"
                )
            try:
                plugin = ep.load()
            except Exception as exc:
                raise PluginError(
                    f"plugin {ep.name!r} (distribution {dist_name} {dist_version}, "
                    f"entry point {ep.value!r}) failed to import: {type(exc).__name__}: {exc}. "
                    f"Start without it with {DISABLE_ENV}={ep.name}, or without any "
                    f"third-party plugin with {NO_PLUGINS_ENV}=1"
                ) from exc
            _register(pm, plugin, ep.name)
            infos[ep.name] = PluginInfo(ep.name, dist_name, dist_version, builtin=False)

    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(
            f"plugin {_plugin_name(pm, exc.plugin)!r} implements a hook nucleus-convert does "
            f"not define: {exc}"
        ) from exc

    registry = FormatRegistry()
    for impl in pm.hook.register_formats.get_hookimpls():
        name = impl.plugin_name
        caller = pm.subset_hook_caller(
            "register_formats", remove_plugins=[p for p in pm.get_plugins() if p is not impl.plugin]
        )
        before = set(registry.names())
        try:
            caller(register=registry.registrar(name))
        except PluginError:
            raise
        except Exception as exc:
            raise PluginError(
                f"plugin {name!r}: register_formats raised {type(exc).__name__}: {exc}"
            ) from exc
        infos[name].formats.extend(sorted(set(registry.names()) - before))
    return _State(pm, registry, infos)


def _plugin_name(pm: pluggy.PluginManager, plugin: object) -> str:
    return pm.get_name(plugin) or repr(plugin)


def _register(pm: pluggy.PluginManager, plugin: object, name: str) -> None:
    try:
        pm.register(plugin, name=name)
    except (pluggy.PluginValidationError, ValueError) as exc:
        raise PluginError(f"plugin {name!r} cannot be registered: {exc}") from exc


def _get() -> _State:
    global _state
    if _state is None:
        _state = _load()
    return _state


def get_plugin_manager() -> pluggy.PluginManager:
    """The loaded plugin manager (built-ins and enabled third-party plugins)."""
    return _get().pm


def get_registry() -> FormatRegistry:
    """All registered formats."""
    return _get().registry


def list_plugins() -> list[PluginInfo]:
    """Loaded plugins, built-ins first."""
    return sorted(_get().infos.values(), key=lambda p: (not p.builtin, p.name))
