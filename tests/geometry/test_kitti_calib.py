"""nucleus_convert/geometry/kitti_calib.py: KITTI calibration files (object and tracking
spellings, the raw dataset's calib_*_to_*.txt), their exact formatting and round trip, the
errors naming file and line, the Calibration record, and its JSON lists."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from kitti_calib_samples import (
    CALIB_000001,
    K_HAND,
    KITTI_OBJECT,
    PERMUTATION,
    Array,
    embedded_calibration,
    every_calibration,
    hand_calibration,
    numbers,
    unit_quaternions,
)
from paths import CORPUS

from nucleus_convert.errors import InputError
from nucleus_convert.geometry.kitti import matrix_from_quaternion, project_to_image
from nucleus_convert.geometry.kitti_calib import (
    Calibration,
    format_calib,
    parse_calib,
    parse_raw_calib,
)

DATUMARO_KITTI = CORPUS / "datumaro" / "kitti_dataset"

KEYS = list(CALIB_000001)


def calib_text(entries: dict[str, str]) -> str:
    return "".join(f"{key}: {value}\n" for key, value in entries.items())


def corpus_calib_files() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    found = list((KITTI_OBJECT / "calib").glob("*.txt"))
    found += DATUMARO_KITTI.glob("*/calib/**/*.txt")
    return sorted(found)


@pytest.fixture(scope="module")
def calibs() -> list[Calibration]:
    """The embedded calibration plus every KITTI object calibration of the corpus."""
    return every_calibration()


CORPUS_CALIBS = corpus_calib_files()


@pytest.mark.parametrize(
    "path",
    CORPUS_CALIBS or [pytest.param(None, marks=pytest.mark.skip(reason=f"no calib in {CORPUS}"))],
    ids=[str(p.relative_to(CORPUS)) for p in CORPUS_CALIBS] or ["absent"],
)
def test_every_corpus_calib_parses_to_the_numbers_in_the_file(path: Path) -> None:
    calib = parse_calib(path)
    in_file = {}
    for line in path.read_text().splitlines():
        if line.strip():
            key, _, values = line.partition(":")
            in_file[key] = numbers(values)
    assert set(in_file) == set(KEYS)
    assert calib.P2.shape == (3, 4)
    assert calib.P2.ravel().tolist() == in_file["P2"].tolist()
    for key in KEYS:
        matrix = getattr(calib, key)
        assert matrix is not None
        assert matrix.ravel().tolist() == in_file[key].tolist(), key


def test_corpus_has_every_expected_calib() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS}")
    assert len(CORPUS_CALIBS) == 6, CORPUS_CALIBS


def test_parse_embedded_calib(tmp_path: Path) -> None:
    path = tmp_path / "000001.txt"
    path.write_text("\n" + calib_text(CALIB_000001) + "\n\n")
    calib = parse_calib(path)
    for key, values in CALIB_000001.items():
        assert getattr(calib, key).ravel().tolist() == numbers(values).tolist()


def test_parse_accepts_tracking_spelling(tmp_path: Path) -> None:
    # KITTI tracking: "R_rect", "Tr_velo_cam", "Tr_imu_velo" without a colon.
    text = "".join(f"{k}: {CALIB_000001[k]}\n" for k in ("P0", "P1", "P2", "P3"))
    text += f"R_rect {CALIB_000001['R0_rect']}\n"
    text += f"Tr_velo_cam {CALIB_000001['Tr_velo_to_cam']}\n"
    text += f"Tr_imu_velo {CALIB_000001['Tr_imu_to_velo']}\n"
    path = tmp_path / "0000.txt"
    path.write_text(text)
    calib = parse_calib(path)
    reference = embedded_calibration()
    for key in KEYS:
        assert np.array_equal(getattr(calib, key), getattr(reference, key)), key


def test_optional_matrices_may_be_absent(tmp_path: Path) -> None:
    path = tmp_path / "min.txt"
    path.write_text(calib_text({k: CALIB_000001[k] for k in ("P2", "R0_rect", "Tr_velo_to_cam")}))
    calib = parse_calib(path)
    assert calib.P0 is None and calib.P1 is None and calib.P3 is None
    assert calib.Tr_imu_to_velo is None
    with pytest.raises(ValueError, match="no P3"):
        project_to_image(np.zeros((1, 3)), calib, camera=3)
    assert format_calib(calib).splitlines()[0].startswith("P2: 721.5377 0.0 ")
    assert [line.split(":")[0] for line in format_calib(calib).splitlines()] == [
        "P2",
        "R0_rect",
        "Tr_velo_to_cam",
    ]


def test_format_calib_layout_and_exact_round_trip(tmp_path: Path) -> None:
    calib = embedded_calibration()
    text = format_calib(calib)
    assert text.endswith("\n")
    assert text.splitlines()[2] == "P2: " + CALIB_000001["P2"]
    assert [line.split(":")[0] for line in text.splitlines()] == KEYS
    path = tmp_path / "calib.txt"
    path.write_text(text)
    back = parse_calib(path)
    for key in KEYS:
        assert np.array_equal(getattr(back, key), getattr(calib, key)), key


finite_floats = st.floats(allow_nan=False, allow_infinity=False, width=64)


@settings(max_examples=50, deadline=None)
@given(
    arrays(np.float64, (3, 4), elements=finite_floats),
    arrays(np.float64, (3, 4), elements=finite_floats),
    unit_quaternions,
    arrays(np.float64, 3, elements=finite_floats),
)
def test_format_calib_round_trips_any_floats(
    p2: Array, extra: Array, q: Array, translation: Array
) -> None:
    # The rotations must be invertible; every other number is any finite float (-0.0, 1e-308,
    # 1.7976931348623157e308...), and the rotation's own digits come from arithmetic.
    rotation = matrix_from_quaternion(q)
    calib = Calibration(
        P0=extra,
        P2=p2,
        R0_rect=rotation,
        Tr_velo_to_cam=np.hstack([rotation.T, translation.reshape(3, 1)]),
        Tr_imu_to_velo=extra[::-1],
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "calib.txt"
        path.write_text(format_calib(calib))
        back = parse_calib(path)
    for key in ("P0", "P2", "R0_rect", "Tr_velo_to_cam", "Tr_imu_to_velo"):
        got, want = getattr(back, key), getattr(calib, key)
        assert got.tobytes() == want.tobytes(), key  # bit-exact, -0.0 included


def raw_files(tmp_path: Path, *, drop: str = "", velo_extra: str = "") -> tuple[Path, Path]:
    """calib_cam_to_cam.txt / calib_velo_to_cam.txt laid out as the raw dataset's, with the
    numbers of object frame 000001 (which comes from the 2011_09_26 drives)."""
    unused_k = "9.842439e+02 0.000000e+00 6.900000e+02 0.000000e+00 9.808141e+02 2.331966e+02 0 0 1"
    cam_lines = [
        "calib_time: 09-Jan-2012 13:57:47",
        "corner_dist: 9.950000e-02",
        "S_00: 1.392000e+03 5.120000e+02",
        f"K_00: {unused_k}",
        "D_00: -3.728755e-01 2.037299e-01 2.219027e-03 1.383707e-03 -7.233722e-02",
        "R_00: 1 0 0 0 1 0 0 0 1",
        "T_00: 2.573699e-16 -1.059758e-16 1.614870e-16",
        "S_rect_00: 1.242000e+03 3.750000e+02",
        f"R_rect_00: {CALIB_000001['R0_rect']}",
        f"P_rect_00: {CALIB_000001['P0']}",
        f"P_rect_01: {CALIB_000001['P1']}",
        f"P_rect_02: {CALIB_000001['P2']}",
        f"P_rect_03: {CALIB_000001['P3']}",
    ]
    tr = CALIB_000001["Tr_velo_to_cam"].split()
    rotation = " ".join(tr[0:3] + tr[4:7] + tr[8:11])
    translation = " ".join([tr[3], tr[7], tr[11]])
    velo_lines = [
        "calib_time: 15-Mar-2012 11:37:16",
        f"R: {rotation}",
        f"T: {translation}",
        "delta_f: 0.000000e+00 0.000000e+00",
        "delta_c: 0.000000e+00 0.000000e+00",
    ]
    if velo_extra:
        velo_lines.append(velo_extra)
    cam = tmp_path / "calib_cam_to_cam.txt"
    velo = tmp_path / "calib_velo_to_cam.txt"
    cam.write_text(
        "\n".join(line for line in cam_lines if not line.startswith(drop or "\0")) + "\n"
    )
    velo.write_text(
        "\n".join(line for line in velo_lines if not line.startswith(drop or "\0")) + "\n"
    )
    return cam, velo


def test_parse_raw_calib_equals_the_object_calib(tmp_path: Path) -> None:
    cam, velo = raw_files(tmp_path)
    imu = tmp_path / "calib_imu_to_velo.txt"
    t = CALIB_000001["Tr_imu_to_velo"].split()
    imu.write_text(
        "calib_time: 25-May-2012 16:47:16\n"
        f"R: {' '.join(t[0:3] + t[4:7] + t[8:11])}\nT: {t[3]} {t[7]} {t[11]}\n"
    )
    calib = parse_raw_calib(cam, velo, imu)
    reference = embedded_calibration()
    for key in KEYS:
        assert np.array_equal(getattr(calib, key), getattr(reference, key)), key
    assert parse_raw_calib(cam, velo).Tr_imu_to_velo is None


@pytest.mark.parametrize(
    ("drop", "culprit", "key"),
    [("P_rect_02", "cam", "P_rect_02"), ("R_rect_00", "cam", "R_rect_00"), ("T:", "velo", "T")],
)
def test_parse_raw_calib_names_a_missing_key(
    tmp_path: Path, drop: str, culprit: str, key: str
) -> None:
    cam, velo = raw_files(tmp_path, drop=drop)
    with pytest.raises(InputError) as info:
        parse_raw_calib(cam, velo)
    path = cam if culprit == "cam" else velo
    assert str(info.value).startswith(f"{path}: ")
    assert f"missing {key}" in str(info.value)


def test_parse_raw_calib_names_the_line_of_a_duplicate(tmp_path: Path) -> None:
    cam, velo = raw_files(tmp_path, velo_extra="T: 0 0 0")
    with pytest.raises(InputError) as info:
        parse_raw_calib(cam, velo)
    assert str(info.value).startswith(f"{velo}:6: ")
    assert "duplicate key T (first on line 3)" in str(info.value)


def replace_value(key: str, index: int, token: str) -> dict[str, str]:
    entries = dict(CALIB_000001)
    values = entries[key].split()
    values[index] = token
    entries[key] = " ".join(values)
    return entries


def without(key: str) -> dict[str, str]:
    return {k: v for k, v in CALIB_000001.items() if k != key}


BAD_CALIBS = {
    # id: (text, line or None, what the message must say)
    "missing-P2": (calib_text(without("P2")), None, "missing P2"),
    "missing-R0_rect": (calib_text(without("R0_rect")), None, "missing R0_rect"),
    "missing-Tr_velo_to_cam": (
        calib_text(without("Tr_velo_to_cam")),
        None,
        "missing Tr_velo_to_cam",
    ),
    "11-numbers": (
        calib_text({**CALIB_000001, "P2": " ".join(CALIB_000001["P2"].split()[:11])}),
        3,
        "P2 needs 12 numbers, found 11",
    ),
    "13-numbers": (
        calib_text({**CALIB_000001, "R0_rect": CALIB_000001["R0_rect"] + " 1 2 3 4"}),
        5,
        "R0_rect needs 9 numbers, found 13",
    ),
    "abc": (calib_text(replace_value("P2", 4, "abc")), 3, "not a number: 'abc'"),
    "nan": (calib_text(replace_value("Tr_velo_to_cam", 0, "nan")), 6, "not a finite number: 'nan'"),
    "inf": (calib_text(replace_value("P0", 0, "-inf")), 1, "not a finite number: '-inf'"),
    "overflow": (calib_text(replace_value("P1", 0, "1e999")), 2, "not a finite number: '1e999'"),
    "duplicate-key": (
        calib_text(CALIB_000001) + f"P2: {CALIB_000001['P2']}\n",
        8,
        "duplicate key P2 (first on line 3)",
    ),
    "singular-R0_rect": (
        calib_text({**CALIB_000001, "R0_rect": "1 0 0 0 1 0 1 0 0"}),
        5,
        "R0_rect rotation is singular",
    ),
    "singular-Tr-rotation": (
        calib_text({**CALIB_000001, "Tr_velo_to_cam": "0 0 0 1 0 0 0 2 0 0 0 3"}),
        6,
        "Tr_velo_to_cam rotation is singular",
    ),
    "no-colon": (calib_text(CALIB_000001) + "garbage 1 2 3\n", 8, "expected 'KEY: numbers'"),
}


@pytest.mark.parametrize("case", list(BAD_CALIBS))
def test_bad_calib_is_an_input_error_naming_file_and_line(tmp_path: Path, case: str) -> None:
    text, line, message = BAD_CALIBS[case]
    path = tmp_path / "calib.txt"
    path.write_text(text)
    with pytest.raises(InputError) as info:
        parse_calib(path)
    where = f"{path}:{line}: " if line is not None else f"{path}: "
    assert str(info.value).startswith(where)
    assert message in str(info.value)
    assert info.value.line == line


def test_unreadable_calib_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "nope.txt"
    with pytest.raises(InputError, match="cannot read calibration") as info:
        parse_calib(path)
    assert str(info.value).startswith(f"{path}: ")


def test_calibration_checks_shapes_and_is_read_only() -> None:
    with pytest.raises(ValueError, match=r"R0_rect must have shape \(3, 3\)"):
        Calibration(P2=K_HAND, R0_rect=np.eye(4), Tr_velo_to_cam=PERMUTATION)
    calib = hand_calibration()
    with pytest.raises(ValueError, match="read-only"):
        calib.P2[0, 0] = 1.0


def test_calibration_lists_round_trip_exactly_and_are_json(calibs: list[Calibration]) -> None:
    import orjson

    from nucleus_convert.geometry.kitti import calibration_from_lists, calibration_to_lists

    for calib in calibs:
        lists = orjson.loads(orjson.dumps(calibration_to_lists(calib)))
        back = calibration_from_lists(lists)
        for name in ("P0", "P1", "P2", "P3", "R0_rect", "Tr_velo_to_cam", "Tr_imu_to_velo"):
            a, b = getattr(calib, name), getattr(back, name)
            assert (a is None and b is None) or np.array_equal(a, b), name


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([], "object of matrices"),
        ({"P2": [1.0] * 12, "R0_rect": [1.0] * 9}, "lacks Tr_velo_to_cam"),
        ({"P2": [1.0] * 11, "R0_rect": [1.0] * 9, "Tr_velo_to_cam": [0.0] * 12}, "P2 must be 12"),
        ({"P2": [1.0] * 12, "R0_rect": ["1"] * 9, "Tr_velo_to_cam": [0.0] * 12}, "R0_rect"),
        ({"P2": [math.nan] * 12, "R0_rect": [1.0] * 9, "Tr_velo_to_cam": [0.0] * 12}, "finite"),
    ],
)
def test_calibration_from_lists_names_the_bad_matrix(value: object, message: str) -> None:
    from nucleus_convert.geometry.kitti import calibration_from_lists

    with pytest.raises(ValueError, match=message):
        calibration_from_lists(value)
