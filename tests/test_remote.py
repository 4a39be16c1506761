"""nucleus_convert/remote.py: sources and destinations as fsspec URLs, on fsspec's memory file
system and on a local S3 server (moto), through the API and the CLI."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from cli_runner import run_cli
from paths import FIXTURES

import nucleus_convert as nc
from nucleus_convert.errors import DestinationError, InputError
from nucleus_convert.remote import is_url, local_path

fsspec = pytest.importorskip("fsspec", reason="fsspec is the [cloud] extra")

COCO = FIXTURES / "coco" / "instances_demo.json"


@pytest.fixture
def memory() -> Iterator[Any]:
    fs = fsspec.filesystem("memory")
    root = f"/t{os.getpid()}-{id(fs)}"
    fs.mkdir(root)
    yield fs, root
    fs.rm(root, recursive=True)


def _local_tree(root: Path) -> dict[str, bytes]:
    files = sorted(p for p in root.rglob("*") if p.is_file())
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in files}


def _remote_tree(fs: Any, root: str) -> dict[str, bytes]:
    return {p[len(root) + 1 :]: fs.cat_file(p) for p in sorted(fs.find(root))}


def test_urls_and_local_paths_are_told_apart() -> None:
    assert is_url("s3://b/k") and is_url("memory://x")
    assert not is_url("file:///tmp/x") and not is_url(Path("s3:/x")) and not is_url("a/b")
    assert local_path("file:///tmp/x") == Path("/tmp/x")


def test_coco_in_memory_to_a_nucleus_bundle_in_memory(memory: Any, tmp_path: Path) -> None:
    fs, root = memory
    fs.put_file(str(COCO), f"{root}/data/instances.json")
    result = nc.convert(
        f"memory://{root}/data/instances.json", f"memory://{root}/out", to="nucleus"
    )
    assert result.path == f"memory://{root}/out"
    local = nc.convert(COCO, tmp_path / "local", to="nucleus").path
    remote = _remote_tree(fs, f"{root}/out")
    expected = _local_tree(Path(local))
    assert sorted(remote) == sorted(expected)
    for name, data in expected.items():
        if name != "manifest.json":
            assert remote[name] == data, name
    manifest = orjson.loads(remote["manifest.json"])
    assert manifest["source"]["path"] == f"memory://{root}/data/instances.json"
    assert not [p for p in fs.find(root) if ".partial" in p]


def test_an_existing_destination_is_refused_unless_overwrite(memory: Any) -> None:
    fs, root = memory
    fs.pipe_file(f"{root}/out/keep.txt", b"mine")
    with pytest.raises(DestinationError, match="exists and is not empty"):
        nc.convert(COCO, f"memory://{root}/out", to="nucleus")
    assert _remote_tree(fs, f"{root}/out") == {"keep.txt": b"mine"}
    nc.convert(COCO, f"memory://{root}/out", to="nucleus", overwrite=True)
    assert "keep.txt" not in _remote_tree(fs, f"{root}/out")
    assert "manifest.json" in _remote_tree(fs, f"{root}/out")


def test_a_failed_conversion_uploads_nothing(memory: Any, tmp_path: Path) -> None:
    fs, root = memory
    data = orjson.loads(COCO.read_bytes())
    data["annotations"][0]["bbox"] = [1, 2, "wide", 4]
    fs.pipe_file(f"{root}/bad.json", orjson.dumps(data))
    with pytest.raises(InputError, match="bbox"):
        nc.convert(f"memory://{root}/bad.json", f"memory://{root}/out", to="nucleus")
    assert sorted(fs.find(root)) == [f"{root}/bad.json"]


def test_a_missing_source_url_is_one_error(memory: Any) -> None:
    _, root = memory
    with pytest.raises(nc.errors.FormatError, match="no such file or directory"):
        nc.convert(f"memory://{root}/nothing.json", f"memory://{root}/out")


def test_read_of_a_url_streams_from_a_local_copy(memory: Any) -> None:
    fs, root = memory
    fs.put_file(str(COCO), f"{root}/instances.json")
    dataset = nc.read(f"memory://{root}/instances.json")
    assert len(list(dataset.items)) == 6
    assert dataset.header.source["path"] == f"memory://{root}/instances.json"


@pytest.fixture(scope="module")
def s3() -> Iterator[dict[str, str]]:
    """A moto S3 server on the loopback address, and the environment that points fsspec (and
    a CLI run in a subprocess) at it."""
    pytest.importorskip("s3fs", reason="s3fs is the [cloud] extra")
    moto_server = pytest.importorskip("moto.server", reason="moto[server] is a test dependency")
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    env = {
        "FSSPEC_S3_ENDPOINT_URL": f"http://{host}:{port}",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield env
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        server.stop()


def test_cli_converts_between_s3_urls_on_a_local_s3_server(
    s3: dict[str, str], tmp_path: Path
) -> None:
    import s3fs

    fs = s3fs.S3FileSystem(client_kwargs={"endpoint_url": s3["FSSPEC_S3_ENDPOINT_URL"]})
    fs.mkdir("bucket-cli")
    tree = FIXTURES / "voc" / "VOC2012"
    for path in sorted(p for p in tree.rglob("*") if p.is_file()):
        fs.put_file(str(path), f"bucket-cli/VOC2012/{path.relative_to(tree).as_posix()}")
    fs.put_file(str(COCO), "bucket-cli/coco/instances.json")
    proc = run_cli(
        "convert", "s3://bucket-cli/coco/instances.json", "s3://bucket-cli/out/bundle", **s3
    )
    assert proc.returncode == 0, proc.stderr
    assert "wrote s3://bucket-cli/out/bundle (nucleus)" in proc.stdout
    local = _local_tree(Path(nc.convert(COCO, tmp_path / "local", to="nucleus").path))
    fs.invalidate_cache()
    remote = _remote_tree(fs, "bucket-cli/out/bundle")
    assert sorted(remote) == sorted(local)
    assert remote["annotations.jsonl"] == local["annotations.jsonl"]
    proc = run_cli(
        "convert", "s3://bucket-cli/coco/instances.json", "s3://bucket-cli/out/bundle", **s3
    )
    assert proc.returncode == 2 and proc.stderr.startswith("error: s3://bucket-cli/out/bundle")
    assert proc.stderr.count("\n") == 1
    voc = run_cli("convert", "s3://bucket-cli/VOC2012", "s3://bucket-cli/out/voc", **s3)
    assert voc.returncode == 0, voc.stderr
    fs.invalidate_cache()
    lines = fs.cat_file("bucket-cli/out/voc/items.jsonl").splitlines()
    urls = [orjson.loads(line)["image_url"] for line in lines]
    assert urls and all(u.startswith("s3://bucket-cli/VOC2012/JPEGImages/") for u in urls)
    assert not [p for p in fs.find("bucket-cli") if ".partial" in p]
