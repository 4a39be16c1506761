#!/usr/bin/env bash
# Set-up and tasks for nucleus-convert on a fresh machine that has Python 3.11.
#   Both first install the Debian libraries open3d needs (apt-get, when missing).
#   ./project.sh demo   create .venv, install, convert the bundled fixtures (COCO, VOC, KITTI, LabelMe,
#                       CVAT, Label Studio, nuScenes, YOLO) to Nucleus and back, preview, relabel, split
#   ./project.sh test   create .venv, install with test extras and the example YOLO plugin, run ruff,
#                       mypy and the test suites (tests/ and plugins/nucleus-convert-yolo/tests/)
#   ./project.sh fuzz [N_PER_READER] [OUTDIR]   fuzz every reader with N mutated inputs each
#                       (default 10000), each in a child under a memory cap and a time limit;
#                       prints outcomes and crash classes, saves minimised reproducers in OUTDIR
set -euo pipefail
cd "$(dirname "$0")"

VENV="${VENV:-.venv}"
PY="$VENV/bin/python"
YOLO=plugins/nucleus-convert-yolo

# Debian libraries that open3d (the [pointcloud] extra, part of the test set-up) loads.
SYSTEM_PACKAGES=(libusb-1.0-0 libgl1 libegl1 libx11-6 libudev1)

system_deps() {
    command -v dpkg-query >/dev/null || return 0   # not Debian: install them your own way
    local missing=() pkg
    for pkg in "${SYSTEM_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    local sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    echo "+ apt-get install ${missing[*]}"
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null
}

setup() {
    local extras="$1"
    system_deps
    if [ ! -x "$PY" ]; then
        python3 -m venv "$VENV"
    fi
    local stamp="$VENV/.installed-$extras"
    if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ "$YOLO/pyproject.toml" -nt "$stamp" ]; then
        "$PY" -m pip install --quiet --disable-pip-version-check --upgrade pip
        "$PY" -m pip install --quiet --disable-pip-version-check -e ".[$extras]"
        # The example third-party plugin, installed as an outsider would (its own pyproject).
        "$PY" -m pip install --quiet --disable-pip-version-check -e "$YOLO"
        touch "$stamp"
    fi
}

case "${1:-}" in
    demo)
        setup test
        out="${2:-out/demo}"
        nc="$VENV/bin/nucleus-convert"
        mkdir -p "$out"
        run() { echo "+ nucleus-convert $*"; "$nc" "$@"; }
        run inspect fixtures/coco/instances_demo.json
        run convert fixtures/coco/instances_demo.json "$out/instances" --to nucleus --overwrite
        run convert fixtures/coco/results_demo.json "$out/results" --to nucleus --overwrite \
            -r images=fixtures/coco/instances_demo.json
        run convert "$out/instances" "$out/instances_back.json" --to coco --overwrite
        ls -l "$out" "$out/instances"
        run roundtrip fixtures/coco/instances_demo.json --via nucleus
        run roundtrip fixtures/nucleus --via nucleus
        run convert fixtures/voc/VOC2012 "$out/voc_nucleus" --to nucleus --overwrite
        run convert "$out/voc_nucleus" "$out/VOC2012" --to voc --overwrite
        run roundtrip fixtures/voc/VOC2012 --via nucleus
        run convert fixtures/kitti/object "$out/kitti_nucleus" --to nucleus --overwrite
        run convert "$out/kitti_nucleus" "$out/kitti" --to kitti --overwrite
        run roundtrip fixtures/kitti/object --via nucleus
        # The annotation tools' formats and driving logs, each through Nucleus and back.
        run roundtrip fixtures/labelme --via nucleus
        run roundtrip fixtures/cvat/video_task.xml --via nucleus
        run roundtrip fixtures/labelstudio/tasks.json --via nucleus
        run roundtrip fixtures/nuscenes/v1.0-mini-like --via nucleus
        # What users do next: look, rename, split.
        run preview fixtures/voc/VOC2012 "$out/preview" --overwrite
        run convert fixtures/coco/instances_demo.json "$out/relabelled.json" --to coco \
            --overwrite --keep-labels person,car
        run split fixtures/nucleus "$out/split" --ratios train=0.5,val=0.5 --overwrite
        # A third-party format: the example YOLO plugin, installed from its own pyproject.
        run plugins
        run convert "$YOLO/tests/data/segment" "$out/yolo_nucleus" --to nucleus --overwrite
        run convert "$out/yolo_nucleus" "$out/yolo" --to yolo --overwrite
        run roundtrip "$YOLO/tests/data/detect" --via nucleus
        ;;
    test)
        setup "test,dev"
        "$VENV/bin/ruff" check .
        "$VENV/bin/mypy"
        "$VENV/bin/mypy" --strict "$YOLO/src"
        "$PY" -m pytest "${@:2}"
        ;;
    fuzz)
        setup "test,dev"
        out="${3:-$(mktemp -d "${TMPDIR:-/tmp}/nucleus-convert-fuzz.XXXXXX")}"
        "$PY" -m fuzz --inputs "${2:-10000}" --out "$out"
        ;;
    *)
        echo "usage: $0 demo [OUT] | test [PYTEST ARGS...] | fuzz [N_PER_READER] [OUTDIR]" >&2
        exit 2
        ;;
esac
