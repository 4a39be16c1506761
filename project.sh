#!/usr/bin/env bash
# Set-up and tasks for nucleus-convert on a fresh machine that has Python 3.11.
#   ./project.sh demo   create .venv, install, convert the bundled fixtures and print what was written
#   ./project.sh test   create .venv, install with test extras, run ruff, mypy and the test suite
set -euo pipefail
cd "$(dirname "$0")"

VENV="${VENV:-.venv}"
PY="$VENV/bin/python"

setup() {
    local extras="$1"
    if [ ! -x "$PY" ]; then
        python3 -m venv "$VENV"
    fi
    local stamp="$VENV/.installed-$extras"
    if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
        "$PY" -m pip install --quiet --disable-pip-version-check --upgrade pip
        "$PY" -m pip install --quiet --disable-pip-version-check -e ".[$extras]"
        touch "$stamp"
    fi
}

case "${1:-}" in
    demo)
        setup test
        out="${2:-out/demo}"
        mkdir -p "$(dirname "$out")"
        echo "+ nucleus-convert inspect fixtures/nucleus"
        "$VENV/bin/nucleus-convert" inspect fixtures/nucleus
        echo "+ nucleus-convert convert fixtures/nucleus $out --to nucleus --overwrite"
        "$VENV/bin/nucleus-convert" convert fixtures/nucleus "$out" --to nucleus --overwrite
        ls -l "$out"
        echo "+ nucleus-convert roundtrip fixtures/nucleus --via nucleus"
        "$VENV/bin/nucleus-convert" roundtrip fixtures/nucleus --via nucleus
        ;;
    test)
        setup "test,dev"
        "$VENV/bin/ruff" check .
        "$VENV/bin/mypy"
        "$PY" -m pytest "${@:2}"
        ;;
    *)
        echo "usage: $0 demo [OUT] | test [PYTEST ARGS...]" >&2
        exit 2
        ;;
esac
