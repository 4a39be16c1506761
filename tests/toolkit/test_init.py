"""The public toolkit: every documented name is exported, and importing it stays light."""

from __future__ import annotations

import subprocess
import sys

import nucleus_convert.toolkit as toolkit
from nucleus_convert.toolkit import destination, files, images, limits, losses, on_error, paths


def test_every_exported_name_is_the_submodule_object() -> None:
    homes = [destination, files, images, limits, losses, on_error, paths]
    for name in toolkit.__all__:
        value = getattr(toolkit, name)
        assert any(getattr(m, name, None) is value for m in homes), name


def test_the_guide_names_every_piece_writers_need() -> None:
    wanted = {
        "atomic_destination",
        "check_destination",
        "confined",
        "unsafe_name_reason",
        "MAX_NAME_BYTES",
        "SafeNames",
        "place_image",
        "regular_local_file",
        "IMAGE_MODES",
        "JsonlWriter",
        "iter_jsonl",
        "load_json",
        "is_remote",
        "Carries",
        "FieldLedger",
        "RECORD_KINDS",
        "record_fields",
        "holds_value",
        "drop_metadata",
        "OnError",
        "on_error_option",
        "open_image",
        "max_pixels_option",
        "json_value_problem",
        "count_problem",
        "file_name_problem",
    }
    assert wanted <= set(toolkit.__all__)
    guide = toolkit.__doc__ or ""
    for name in wanted - {"MAX_NAME_BYTES", "check_destination", "holds_value"}:
        assert name in guide, name


def test_importing_the_toolkit_loads_neither_numpy_nor_pillow() -> None:
    code = (
        "import sys, nucleus_convert.toolkit; "
        "print(sorted(m for m in ('numpy', 'PIL') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
