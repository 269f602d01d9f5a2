#!/usr/bin/env bash
# negative_control.sh - proves the hygiene gate fails on what it exists to catch: a scratch
# repository holding a real private key, a .pyc, a machine path and a badly formatted file
# must fail with each finding named; the same repository cleaned must pass.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT
cd "$w" && git init -q . && cp "$here/../../.clang-format" .
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out leaked.pem 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -aes-256-cbc -pass pass:x -out leaked-enc.pem 2>/dev/null
mkdir __pycache__ && echo x >__pycache__/m.cpython-311.pyc
echo "see /work/main/build/x" >notes.md
printf 'int  f( ){return 1;}\n' >ugly.cpp
git add -f . >/dev/null
out=$("$here/check.sh" "$w" 2>&1) && { echo "FAIL: the gate passed a dirty tree"; exit 1; }
for want in "leaked.pem holds a private key" "leaked-enc.pem holds a private encrypted key" \
            "__pycache__/m.cpython-311.pyc is Python bytecode" "notes.md:1" "lines differ from .clang-format"; do
  grep -qF "$want" <<<"$out" || { echo "FAIL: no finding '$want' in:"; echo "$out"; exit 1; }
done
git rm -rqf leaked.pem leaked-enc.pem __pycache__ notes.md
printf 'int f() { return 1; }\n' >ugly.cpp && git add ugly.cpp
"$here/check.sh" "$w" || { echo "FAIL: the gate failed a clean tree"; exit 1; }
echo "negative control: ok"
