"""Third-party plugins: found through the entry point group, controlled by variables, and
reported by name when they break."""

from __future__ import annotations

import subprocess
from pathlib import Path

import orjson
import pytest
from cli_runner import run_cli
from fake_dist import FAKE_FORMAT, make_dist

import nucleus_convert as nc
from nucleus_convert import plugins
from nucleus_convert.errors import PluginError

FIXTURE_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "nucleus"


@pytest.fixture
def fake_file(tmp_path: Path) -> Path:
    path = tmp_path / "data.fake"
    path.write_bytes(
        orjson.dumps(
            [
                {
                    "ref": "a",
                    "img": "s3://b/a.jpg",
                    "w": 10,
                    "h": 8,
                    "boxes": [["car", 1, 2, 3, 4]],
                },
                {"ref": "b", "img": "s3://b/b.jpg", "w": 10, "h": 8, "boxes": []},
            ]
        )
    )
    return path


def _cli(site: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, pythonpath=site, **env)


def test_entry_point_plugin_appears_in_formats_and_converts(
    site: Path, fake_file: Path, tmp_path: Path
) -> None:
    make_dist(site, "fake-dist", "fake", "fake_plugin_ok", FAKE_FORMAT)
    fmt = nc.get_format("fake")
    assert fmt.plugin == "fake"
    info = {p.name: p for p in plugins.list_plugins()}["fake"]
    assert (info.distribution, info.version, info.formats, info.builtin) == (
        "fake-dist",
        "1.2.3",
        ["fake"],
        False,
    )

    result = nc.convert(fake_file, tmp_path / "out", to="nucleus")  # detected by its own detect()
    assert result.summary.counts["items"] == 2
    back = nc.convert(tmp_path / "out", tmp_path / "again.fake", to="fake")
    assert orjson.loads(back.path.read_bytes()) == orjson.loads(fake_file.read_bytes())

    proc = _cli(site, "formats")
    assert proc.returncode == 0, proc.stderr
    row = next(line for line in proc.stdout.splitlines() if line.startswith("fake "))
    assert row.split() == ["fake", "rw", "box", "fake"]
    proc = _cli(site, "plugins")
    assert any(
        line.split()[:3] == ["fake", "fake-dist", "1.2.3"] for line in proc.stdout.splitlines()
    )
    proc = _cli(site, "convert", str(fake_file), str(tmp_path / "cli-out"))
    assert proc.returncode == 0, proc.stderr
    assert "wrote" in proc.stdout and "2 items" in proc.stdout


def test_no_plugins_variable_hides_third_party_formats(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_dist(site, "fake-dist", "fake", "fake_plugin_hidden", FAKE_FORMAT)
    monkeypatch.setenv(plugins.NO_PLUGINS_ENV, "1")
    builtins = sorted(
        f.name for f in nc.plugins.get_registry() if f.plugin in plugins.BUILTIN_PLUGINS
    )
    assert nc.plugins.get_registry().names() == builtins and "fake" not in builtins
    proc = _cli(site, "formats", NUCLEUS_CONVERT_NO_PLUGINS="1")
    assert "fake" not in proc.stdout
    assert _cli(site, "formats").stdout.count("fake") >= 1


def test_disable_variable_blocks_one_named_plugin(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_dist(site, "fake-dist", "fake", "fake_plugin_disabled", FAKE_FORMAT)
    monkeypatch.setenv(plugins.DISABLE_ENV, "other, fake")
    assert "fake" not in plugins.get_registry().names()


def test_plugin_that_raises_on_import_is_named_and_can_be_disabled(site: Path) -> None:
    make_dist(
        site, "broken-dist", "broken", "broken_plugin", "raise RuntimeError('boom at import')\n"
    )
    with pytest.raises(PluginError) as info:
        plugins.get_registry()
    msg = str(info.value)
    assert "plugin 'broken' (distribution broken-dist 1.2.3" in msg
    assert "RuntimeError: boom at import" in msg
    assert "NUCLEUS_CONVERT_DISABLE_PLUGINS=broken" in msg

    proc = _cli(site, "formats")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "plugin 'broken'" in proc.stderr
    proc = _cli(site, "formats", NUCLEUS_CONVERT_DISABLE_PLUGINS="broken")
    assert proc.returncode == 0 and "nucleus" in proc.stdout
    proc = _cli(site, "formats", NUCLEUS_CONVERT_NO_PLUGINS="1")
    assert proc.returncode == 0


def test_two_formats_with_one_name_is_an_error_naming_both_plugins(site: Path) -> None:
    source = FAKE_FORMAT.replace('name="fake"', 'name="nucleus"')
    make_dist(site, "dup-dist", "dupper", "dup_plugin", source)
    with pytest.raises(
        PluginError,
        match=(
            r"format 'nucleus' is registered twice: by plugin 'nucleus_convert.converters.nucleus' "
            r"and by plugin 'dupper'"
        ),
    ):
        plugins.get_registry()
    _assert_cli_names_it_and_starts_without_it(site, "dupper", "registered twice")


def _assert_cli_names_it_and_starts_without_it(site: Path, plugin: str, says: str) -> None:
    proc = _cli(site, "formats")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert f"'{plugin}'" in proc.stderr and says in proc.stderr
    proc = _cli(site, "formats", NUCLEUS_CONVERT_DISABLE_PLUGINS=plugin)
    assert proc.returncode == 0, proc.stderr
    assert "nucleus" in proc.stdout
    proc = _cli(site, "plugins", NUCLEUS_CONVERT_DISABLE_PLUGINS=plugin)
    assert proc.returncode == 0 and plugin not in proc.stdout


def test_plugin_implementing_an_unknown_hook_is_named(site: Path) -> None:
    source = (
        "from nucleus_convert import hookimpl\n\n"
        "@hookimpl\ndef register_formatz(register):\n    pass\n"
    )
    make_dist(site, "typo-dist", "typo", "typo_plugin", source)
    with pytest.raises(
        PluginError, match="plugin 'typo' implements a hook nucleus-convert does not define"
    ):
        plugins.get_registry()
    _assert_cli_names_it_and_starts_without_it(site, "typo", "does not define")


def test_plugin_registering_an_invalid_format_is_named(site: Path) -> None:
    source = FAKE_FORMAT.replace('kinds=frozenset({"box"})', 'kinds=frozenset({"blob"})')
    make_dist(site, "bad-kinds", "badkinds", "badkinds_plugin", source)
    with pytest.raises(
        PluginError, match=r"plugin 'badkinds': format 'fake' declares unknown kinds \['blob'\]"
    ):
        plugins.get_registry()


def test_trace_variable_logs_hook_calls(site: Path) -> None:
    make_dist(site, "fake-dist", "fake", "fake_plugin_traced", FAKE_FORMAT)
    proc = _cli(site, "formats", NUCLEUS_CONVERT_TRACE_PLUGINS="1")
    assert proc.returncode == 0
    assert "register_formats" in proc.stderr


def test_hook_register_formats_is_how_builtins_register() -> None:
    pm = plugins.get_plugin_manager()
    impls = {impl.plugin_name for impl in pm.hook.register_formats.get_hookimpls()}
    assert "nucleus_convert.converters.nucleus" in impls
    assert nc.get_format("nucleus").plugin == "nucleus_convert.converters.nucleus"


def test_plugin_writer_that_crashes_is_named_without_traceback(site: Path, tmp_path: Path) -> None:
    source = FAKE_FORMAT.replace("    rows = []\n", "    rows = []\n    raise KeyError('oops')\n")
    make_dist(site, "crash-dist", "crashy", "crashy_plugin", source)
    proc = _cli(site, "convert", str(FIXTURE_DIR), str(tmp_path / "o.fake"), "--to", "fake")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert (
        "plugin 'crashy': the writer of format 'fake' failed with KeyError: 'oops'" in proc.stderr
    )
    assert not (tmp_path / "o.fake").exists()
