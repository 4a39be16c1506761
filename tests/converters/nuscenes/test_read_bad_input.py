"""Bad nuScenes input is the project's one-line InputError naming the table file, the record
(its token) and the field, never a traceback: dangling tokens, malformed fields, broken chains,
LiDAR files of the wrong size, file names that leave the dataroot."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cli_runner import run_cli
from paths import FIXTURES

import nucleus_convert as nc
from nucleus_convert.errors import InputError

SOURCE = FIXTURES / "nuscenes" / "v1.0-mini-like"

Rows = list[dict[str, Any]]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    dst = tmp_path / "dataroot"
    shutil.copytree(SOURCE, dst)
    return dst


def edit(root: Path, name: str, change: Callable[[Rows], None]) -> Path:
    path = root / "v1.0-mini" / f"{name}.json"
    rows = json.loads(path.read_text())
    change(rows)
    path.write_text(json.dumps(rows))
    return path


def read_error(root: Path) -> str:
    with pytest.raises(InputError) as info:
        nc.read(root, "nuscenes").materialize()
    message = str(info.value)
    assert "\n" not in message
    return message


def test_a_dangling_instance_token_names_the_annotation_and_field(root: Path) -> None:
    def change(rows: Rows) -> None:
        rows[2]["instance_token"] = "no-such-instance"

    path = edit(root, "sample_annotation", change)
    token = json.loads(path.read_text())[2]["token"]
    assert read_error(root) == (
        f"{path}: sample_annotation {token}: field 'instance_token': token 'no-such-instance' is "
        "dangling: no instance record has it"
    )


@pytest.mark.parametrize(
    ("table", "field", "target"),
    [
        ("sample_data", "ego_pose_token", "ego_pose"),
        ("sample_data", "calibrated_sensor_token", "calibrated_sensor"),
        ("scene", "first_sample_token", "sample"),
        ("sample_annotation", "visibility_token", "visibility"),
        ("calibrated_sensor", "sensor_token", "sensor"),
    ],
)
def test_every_dangling_foreign_key_is_reported_precisely(
    root: Path, table: str, field: str, target: str
) -> None:
    path = edit(root, table, lambda rows: rows[0].update({field: "gone"}))
    message = read_error(root)
    assert message.startswith(f"{path}: {table} ")
    assert f"field '{field}': token 'gone' is dangling: no {target} record has it" in message


def test_an_attribute_token_without_an_attribute_table_is_dangling(root: Path) -> None:
    (root / "v1.0-mini" / "attribute.json").unlink()
    assert "field 'attribute_tokens'" in read_error(root)
    assert "is dangling: no attribute.json" in read_error(root)


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("size", [1.0, 2.0], "expected 3 finite numbers"),
        ("size", [1.0, -2.0, 3.0], "negative box size"),
        ("rotation", [0, 0, 0, 0], "expected a rotation quaternion [w, x, y, z]"),
        ("translation", [1.0, "2", 3.0], "expected 3 finite numbers"),
        ("num_lidar_pts", -1, "expected an integer >= 0"),
    ],
)
def test_malformed_annotation_fields_name_the_field(
    root: Path, field: str, value: Any, says: str
) -> None:
    edit(root, "sample_annotation", lambda rows: rows[0].update({field: value}))
    message = read_error(root)
    assert f"field '{field}'" in message and says in message


def test_a_scene_whose_chain_disagrees_with_nbr_samples_is_refused(root: Path) -> None:
    edit(root, "scene", lambda rows: rows[0].update({"nbr_samples": 4}))
    message = read_error(root)
    assert "field 'nbr_samples': says 4 samples" in message
    assert "the chain from first_sample_token has 3" in message


def test_a_token_twice_in_a_table_is_refused(root: Path) -> None:
    path = edit(root, "category", lambda rows: rows.append(dict(rows[0])))
    token = json.loads(path.read_text())[0]["token"]
    assert (
        read_error(root)
        == f"{path}: category {token}: field 'token': token appears twice in the table"
    )


def test_a_lidar_file_of_the_wrong_size_is_refused_naming_it(root: Path) -> None:
    lidar = sorted((root / "samples" / "LIDAR_TOP").iterdir())[0]
    lidar.write_bytes(lidar.read_bytes()[:-4])
    assert read_error(root).startswith(f"{lidar}: size ")
    assert "is not a multiple of 20" in read_error(root)


def test_a_missing_lidar_file_is_refused_naming_it(root: Path) -> None:
    lidar = sorted((root / "samples" / "LIDAR_TOP").iterdir())[0]
    lidar.unlink()
    assert read_error(root).startswith(f"{lidar}: cannot read the point cloud")


def test_a_file_name_leaving_the_dataroot_is_refused(root: Path) -> None:
    edit(root, "sample_data", lambda rows: rows[0].update({"filename": "../../etc/passwd.pcd.bin"}))
    assert "field 'filename': the name climbs out of its folder" in read_error(root)


def test_a_folder_missing_a_required_table_is_not_nuscenes(root: Path) -> None:
    (root / "v1.0-mini" / "instance.json").unlink()
    assert "neither a nuScenes table folder" in read_error(root)


def test_broken_json_names_the_line(root: Path) -> None:
    path = root / "v1.0-mini" / "sample.json"
    path.write_text('[\n{"token": "a",\n')
    assert read_error(root).startswith(f"{path}:3: not valid JSON")


def test_the_cli_reports_bad_input_in_one_line_without_a_traceback(root: Path) -> None:
    edit(root, "sample_annotation", lambda rows: rows[0].update({"instance_token": "gone"}))
    proc = run_cli("inspect", str(root), "--from", "nuscenes")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "field 'instance_token': token 'gone' is dangling" in proc.stderr
