#!/usr/bin/env bash
# The differential half of the conformance suite (`make conformance-check`): runs every Python twin
# in py/ under CPython >= 3.12 and compares what it prints with traces/<name>.txt, the very file the
# Swift test of the same name reads as its expectation. An expectation can therefore never drift from
# CPython without this check failing.
#
# traces/<name>.swift.txt, where present, is the documented Swift behaviour of a deliberate
# difference (the README's mapping table says why); the twin still pins CPython's trace in
# traces/<name>.txt.
set -uo pipefail
cd "$(dirname "$0")"

find_python() {
    local candidate
    # pyenv's CPython 3.13 first (newest patch release), then any python3 >= 3.12 on PATH.
    for candidate in $(ls -d "$HOME"/.pyenv/versions/3.13.*/bin/python3 2>/dev/null | sort -V -r) \
        python3 python3.13 python3.12; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

if ! PYTHON=$(find_python); then
    echo "conformance-check: FAILED — no CPython >= 3.12 found (looked for ~/.pyenv/versions/3.13.*/bin/python3," >&2
    echo "then python3, python3.13, python3.12 on PATH). The differential check cannot run without it:" >&2
    echo "install one (e.g. 'pyenv install 3.13') and run 'make conformance-check' again." >&2
    exit 1
fi
echo "conformance-check: $("$PYTHON" -c 'import sys; print(sys.version.split()[0])') ($PYTHON)"

failures=0
checked=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export PYTHON work
# The twins mostly sleep: run four at a time (their timing margins are tenths of seconds).
ls py/*.py | grep -v '/_' | xargs -P 4 -I{} sh -c '
    name=$(basename "{}" .py)
    PYTHONHASHSEED=0 PYTHONASYNCIODEBUG= timeout 60 "$PYTHON" "{}" >"$work/$name.out" 2>"$work/$name.err"
    echo $? >"$work/$name.status"'

for twin in py/*.py; do
    name=$(basename "$twin" .py)
    case "$name" in _*) continue ;; esac  # shared helpers (py/_conformance.py), not twins
    expected="traces/$name.txt"
    checked=$((checked + 1))
    if [ ! -f "$expected" ]; then
        echo "FAIL $name: no $expected for this twin"
        failures=$((failures + 1))
        continue
    fi
    if ! grep -q "\"$name\"" ./*.swift; then
        echo "FAIL $name: no Swift test reads this trace"
        failures=$((failures + 1))
    fi
    status=$(cat "$work/$name.status")
    if [ "$status" != 0 ]; then
        echo "FAIL $name: the twin exited with status $status"
        sed 's/^/    /' "$work/$name.err"
        failures=$((failures + 1))
    elif ! diff -u --label "$expected" --label "CPython: $twin" "$expected" "$work/$name.out" >"$work/$name.diff"; then
        echo "FAIL $name: CPython's trace differs from $expected"
        sed 's/^/    /' "$work/$name.diff"
        failures=$((failures + 1))
    fi
done

for trace in traces/*.txt; do
    name=$(basename "$trace" .txt)
    case "$name" in
        *.swift) base=${name%.swift}
            [ -f "traces/$base.txt" ] || { echo "FAIL $name: no CPython trace traces/$base.txt beside it"; failures=$((failures + 1)); } ;;
        *) [ -f "py/$name.py" ] || { echo "FAIL $name: $trace has no Python twin py/$name.py"; failures=$((failures + 1)); } ;;
    esac
done

differences=$(ls traces/*.swift.txt 2>/dev/null | wc -l)
if [ $failures -ne 0 ]; then
    echo "conformance-check: $failures failure(s) in $checked twin(s)"
    exit 1
fi
echo "conformance-check: $checked twin(s) match their traces under CPython ($differences documented Swift difference(s))"
