"""nucleus_convert/geometry/pointcloud_files.py: reading and writing point cloud files
(.bin, .pcd, .ply): the shared corpus read exactly, bit-exact round trips, intensity scaling,
and bad input (every error names the file). The PCD and PLY header checks are tested in
test_pcd_header.py and test_ply_header.py, the Nucleus point cloud JSON in test_pointcloud.py.
"""

from __future__ import annotations

import sys
import tempfile
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from paths import CORPUS
from pointcloud_file_samples import pcd
from pointcloud_samples import bits, need_open3d

from nucleus_convert.errors import FormatError, InputError, OutputError
from nucleus_convert.geometry.pointcloud_files import (
    parse_pcd_header,
    read_points,
    write_bin,
    write_pcd,
    write_ply,
)

CORPUS_PCD = sorted(CORPUS.glob("datumaro/**/*.pcd")) if CORPUS.is_dir() else []
CORPUS_BIN = (
    sorted((CORPUS / "kitti/object/training/velodyne").glob("*.bin")) if CORPUS.is_dir() else []
)
no_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"shared corpus not found at {CORPUS}")


def exact_f32(token: str) -> float:
    """The float32 nearest to the decimal ``token`` (ties to even), without double rounding."""
    exact = Fraction(token)
    guess = np.float32(float(exact))
    candidates = [np.nextafter(guess, np.float32(-np.inf)), guess]
    candidates.append(np.nextafter(guess, np.float32(np.inf)))
    best = min(
        candidates,
        key=lambda c: (abs(Fraction(float(c)) - exact), int(np.array(c).view(np.uint32)) & 1),
    )
    return float(best)


def independent_pcd(path: Path) -> dict[str, npt.NDArray[Any]]:
    with path.open("rb") as stream:
        header = parse_pcd_header(stream, path)
        data = stream.read()
    assert header.data in ("ascii", "binary"), "the corpus has no binary_compressed PCD"
    if header.data == "binary":
        rec = np.frombuffer(data, dtype=header.dtype())
        names = rec.dtype.names or ()
        return {name: np.asarray(rec[name]) for name in header.fields if name in names}
    rows = [line.split() for line in data.decode("ascii").splitlines() if line.strip()]
    assert len(rows) == header.points
    out: dict[str, npt.NDArray[Any]] = {}
    col = 0
    for name, size, kind, count in zip(
        header.fields, header.sizes, header.types, header.counts, strict=True
    ):
        words = [row[col] for row in rows]
        col += count
        if kind == "F" and size == 4:
            out[name] = np.array([exact_f32(w) for w in words], dtype=np.float32)
        elif kind == "F":
            out[name] = np.array([float(w) for w in words], dtype=np.float64)
        else:
            out[name] = np.array([int(w) for w in words], dtype=np.int64)
    return out


@no_corpus
def test_the_corpus_has_point_clouds() -> None:
    assert len(CORPUS_PCD) >= 5
    assert len(CORPUS_BIN) >= 2


@no_corpus
@pytest.mark.parametrize("path", CORPUS_PCD, ids=lambda p: str(p.relative_to(CORPUS)))
def test_corpus_pcd_reads_exactly(path: Path) -> None:
    need_open3d()
    cloud = read_points(path)
    ref = independent_pcd(path)
    assert cloud.points.dtype == np.float32 and cloud.points.shape == (len(ref["x"]), 4)
    for k, axis in enumerate("xyz"):
        assert np.array_equal(bits(cloud.points[:, k]), bits(ref[axis].astype(np.float32)))
    assert cloud.fields == tuple(ref)
    if "intensity" in ref:
        assert cloud.source_intensity == "intensity"
        scaled = ref["intensity"].astype(np.float64) / cloud.intensity_scale
        assert np.array_equal(bits(cloud.points[:, 3]), bits(scaled.astype(np.float32)))
    else:
        assert cloud.source_intensity == "none" and not cloud.points[:, 3].any()


@no_corpus
@pytest.mark.parametrize("path", CORPUS_BIN, ids=lambda p: p.name)
def test_corpus_kitti_bin_reads_exactly(path: Path) -> None:
    cloud = read_points(path)
    n = cloud.points.shape[0]
    assert cloud.points.shape == (n, 4) and n * 16 == path.stat().st_size
    assert np.array_equal(bits(cloud.points), bits(np.fromfile(path, dtype="<f4").reshape(-1, 4)))
    assert cloud.intensity_scale == 1.0 and cloud.source_intensity == "reflectance"
    assert cloud.fields == ("x", "y", "z", "reflectance")


finite32 = st.floats(width=32, allow_nan=False, allow_infinity=False)
unit32 = st.floats(0, 1, width=32)


@st.composite
def clouds(draw: st.DrawFn, max_points: int = 40) -> npt.NDArray[np.float32]:
    """(N, 4) float32: any finite x, y, z (-0.0 and subnormals included), intensity in 0..1."""
    n = draw(st.integers(0, max_points))
    xyz = draw(arrays(np.float32, (n, 3), elements=finite32))
    inten = draw(arrays(np.float32, (n, 1), elements=unit32))
    return np.hstack([xyz, inten])


def _round_trip(points: npt.NDArray[np.float32], name: str, write: Any) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        write(points, path)
        cloud = read_points(path)
    assert cloud.points.dtype == np.float32
    assert np.array_equal(bits(cloud.points), bits(points))
    assert cloud.intensity_scale == 1.0


@given(clouds(max_points=200))
def test_bin_round_trip_is_bit_exact(points: npt.NDArray[np.float32]) -> None:
    _round_trip(points, "scan.bin", write_bin)


@settings(max_examples=60, deadline=None)
@given(clouds(), st.booleans())
def test_pcd_round_trip_is_bit_exact(points: npt.NDArray[np.float32], binary: bool) -> None:
    need_open3d()
    _round_trip(points, "scan.pcd", lambda p, path: write_pcd(p, path, binary=binary))


@settings(max_examples=60, deadline=None)
@given(clouds(), st.booleans())
def test_ply_round_trip_is_bit_exact(points: npt.NDArray[np.float32], binary: bool) -> None:
    need_open3d()
    _round_trip(points, "scan.ply", lambda p, path: write_ply(p, path, binary=binary))


@pytest.mark.parametrize("name", ["a.pcd", "a.ply"])
@pytest.mark.parametrize("binary", [True, False])
def test_extreme_float32_round_trip(tmp_path: Path, name: str, binary: bool) -> None:
    need_open3d()
    f32 = np.finfo(np.float32)
    pts = np.array(
        [
            [f32.max, -f32.max, f32.smallest_subnormal, 1.0],
            [-f32.smallest_subnormal, f32.tiny, -0.0, 0.0],
            [0.1, -9.999999, 1e10, np.float32(1) - f32.epsneg],
        ],
        dtype=np.float32,
    )
    write = write_pcd if name.endswith(".pcd") else write_ply
    write(pts, tmp_path / name, binary=binary)
    assert np.array_equal(bits(read_points(tmp_path / name).points), bits(pts))


def test_written_pcd_and_ply_carry_intensity(tmp_path: Path) -> None:
    need_open3d()
    pts = np.array([[1, 2, 3, 0.5], [-1, -0.0, 1e-40, 1.0]], dtype=np.float32)
    for name, write in (("a.pcd", write_pcd), ("a.ply", write_ply)):
        write(pts, tmp_path / name)
        cloud = read_points(tmp_path / name)
        assert cloud.source_intensity == "intensity"
        assert cloud.fields == ("x", "y", "z", "intensity")
    write_bin(pts[:, :3], tmp_path / "b.bin")  # (N, 3): reflectance 0
    assert not read_points(tmp_path / "b.bin").points[:, 3].any()


def test_binary_compressed_pcd_written_by_open3d(tmp_path: Path) -> None:
    o3d = need_open3d()
    rng = np.random.default_rng(5)
    xyz = rng.normal(0, 30, (500, 3)).astype(np.float32)
    inten = rng.random((500, 1)).astype(np.float32)
    cloud = o3d.t.geometry.PointCloud(o3d.core.Tensor(xyz))
    cloud.point.intensity = o3d.core.Tensor(inten)
    path = tmp_path / "c.pcd"
    assert o3d.t.io.write_point_cloud(str(path), cloud, write_ascii=False, compressed=True)
    assert b"DATA binary_compressed" in path.read_bytes()[:400]
    got = read_points(path)
    assert np.array_equal(bits(got.points), bits(np.hstack([xyz, inten])))


def test_writers_refuse_what_cannot_be_read_back(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match=r"point 1 has a NaN"):
        write_pcd(np.array([[0, 0, 0, 0], [np.nan, 0, 0, 0]], dtype=np.float32), tmp_path / "a")
    with pytest.raises(OutputError, match=r"shape"):
        write_bin(np.zeros((3, 5), dtype=np.float32), tmp_path / "b.bin")


def test_intensity_0_255_is_scaled_to_0_1_and_recorded(tmp_path: Path) -> None:
    need_open3d()
    path = tmp_path / "a.pcd"
    path.write_bytes(pcd(body=b"1 2 3 0\n4 5 6 127.5\n7 8 9 255\n"))
    cloud = read_points(path)
    assert cloud.intensity_scale == 255.0 and cloud.source_intensity == "intensity"
    assert cloud.points[:, 3].tolist() == [0.0, np.float32(127.5 / 255), 1.0]


def test_integer_intensity_counts_0_255(tmp_path: Path) -> None:
    need_open3d()
    path = tmp_path / "a.pcd"
    raw = np.zeros(2, dtype=[("x", "<f4"), ("y", "<f4"), ("z", "<f4"), ("intensity", "u1")])
    raw["intensity"] = [1, 51]
    path.write_bytes(
        pcd(size="4 4 4 1", type_="F F F U", width=2, points=2, data="binary", body=raw.tobytes())
    )
    cloud = read_points(path)
    assert cloud.intensity_scale == 255.0
    assert cloud.points[:, 3].tolist() == [np.float32(1 / 255), np.float32(51 / 255)]


def test_reflectance_field_and_ply_scalar_intensity(tmp_path: Path) -> None:
    need_open3d()
    path = tmp_path / "r.pcd"
    path.write_bytes(pcd("x y z reflectance"))
    cloud = read_points(path)
    assert cloud.source_intensity == "reflectance" and cloud.intensity_scale == 1.0
    ply = tmp_path / "s.ply"
    ply.write_bytes(
        b"ply\nformat ascii 1.0\nelement vertex 2\nproperty float x\nproperty float y\n"
        b"property float z\nproperty uchar scalar_Intensity\nend_header\n1 2 3 255\n4 5 6 0\n"
    )
    cloud = read_points(ply)
    assert cloud.source_intensity == "scalar_Intensity" and cloud.intensity_scale == 255.0
    assert cloud.points.tolist() == [[1, 2, 3, 1], [4, 5, 6, 0]]


def test_no_intensity_gives_zeros(tmp_path: Path) -> None:
    need_open3d()
    path = tmp_path / "a.pcd"
    path.write_bytes(pcd("x y z", size="4 4 4", type_="F F F", count="1 1 1", body=b"1 2 3\n" * 3))
    cloud = read_points(path)
    assert cloud.source_intensity == "none" and cloud.intensity_scale == 1.0
    assert cloud.points[:, 3].tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize("value", ["-0.5", "255.5", "1000"])
def test_intensity_out_of_range_is_refused(tmp_path: Path, value: str) -> None:
    need_open3d()
    path = tmp_path / "a.pcd"
    path.write_bytes(pcd(body=f"1 2 3 0\n4 5 6 {value}\n7 8 9 1\n".encode()))
    with pytest.raises(InputError, match=r"outside 0\.\.1 and 0\.\.255") as err:
        read_points(path)
    assert str(err.value).startswith(f"{path}: field 'points[1].intensity'")


def test_bin_reflectance_above_1_is_scaled(tmp_path: Path) -> None:
    path = tmp_path / "a.bin"
    np.array([[1, 2, 3, 255], [4, 5, 6, 51]], dtype="<f4").tofile(path)
    cloud = read_points(path)
    assert cloud.intensity_scale == 255.0
    assert cloud.points[:, 3].tolist() == [1.0, np.float32(0.2)]
    np.array([[1, 2, 3, 256]], dtype="<f4").tofile(path)
    with pytest.raises(InputError, match=r"field 'points\[0\]\.reflectance'"):
        read_points(path)


def test_bin_of_17_bytes(tmp_path: Path) -> None:
    path = tmp_path / "a.bin"
    path.write_bytes(b"\0" * 17)
    with pytest.raises(InputError, match=r"size 17 bytes is not a multiple of 16") as err:
        read_points(path)
    assert str(err.value).startswith(f"{path}: ")


def test_nan_coordinate_in_bin(tmp_path: Path) -> None:
    path = tmp_path / "a.bin"
    pts = np.zeros((4, 4), dtype="<f4")
    pts[2, 1] = np.nan
    pts[3, 0] = np.inf
    pts.tofile(path)
    with pytest.raises(InputError, match=r"NaN or infinite") as err:
        read_points(path)
    assert str(err.value).startswith(f"{path}: field 'points[2]': ")


def test_nan_coordinate_in_pcd(tmp_path: Path) -> None:
    need_open3d()
    path = tmp_path / "a.pcd"
    path.write_bytes(pcd(body=b"1 2 3 0\nnan nan nan 0\n7 8 9 1\n"))
    with pytest.raises(InputError, match=r"non-dense PCD") as err:
        read_points(path)
    assert str(err.value).startswith(f"{path}: field 'points[1]': ")
    raw = np.zeros((2, 4), dtype="<f4")
    raw[1, 2] = np.nan
    path.write_bytes(pcd(width=1, height=2, points=2, data="binary", body=raw.tobytes()))
    with pytest.raises(InputError, match=r"field 'points\[1\]'"):
        read_points(path)


def test_unknown_suffix_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match=r"unknown point cloud file type '\.las'") as err:
        read_points(tmp_path / "scan.las")
    assert str(err.value).startswith(f"{tmp_path / 'scan.las'}: ")
    with pytest.raises(InputError, match=r"cannot read point cloud") as ierr:
        read_points(tmp_path / "missing.bin")
    assert str(ierr.value).startswith(f"{tmp_path / 'missing.bin'}: ")


def test_missing_open3d_says_how_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "a.pcd"
    path.write_bytes(pcd())
    monkeypatch.setitem(sys.modules, "open3d", None)  # makes `import open3d` fail
    with pytest.raises(FormatError, match=r"pip install 'nucleus-convert\[pointcloud\]'"):
        read_points(path)
    write_bin(np.zeros((2, 4), dtype=np.float32), tmp_path / "a.bin")
    assert read_points(tmp_path / "a.bin").points.shape == (2, 4)  # .bin needs no open3d


def test_open3d_failure_is_an_input_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    o3d = need_open3d()
    path = tmp_path / "a.pcd"
    path.write_bytes(pcd())

    def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(o3d.t.io, "read_point_cloud", broken)
    with pytest.raises(InputError, match=r"open3d cannot read this PCD: boom") as err:
        read_points(path)
    assert str(err.value).startswith(f"{path}: ")
