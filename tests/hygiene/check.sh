#!/usr/bin/env bash
# check.sh REPO - the hygiene gate: what must never be committed, and the tree's formatting.
#   - no private key (a PEM block OpenSSL/cryptography can load, encrypted or not; the fuzz
#     corpus's hollow seeds are not loadable keys and pass);
#   - no Python bytecode, no paths of the machine that made a file (/work/, /root/, /home/...);
#   - every C++ file formatted by the project's .clang-format.
# Exit 0 clean, 1 with every finding listed, 77 when a tool it needs is missing.
set -uo pipefail
repo=${1:?usage: check.sh REPO}
cd "$repo" || exit 1
command -v git >/dev/null && git rev-parse --git-dir >/dev/null 2>&1 || { echo "SKIP: not a git checkout"; exit 77; }
command -v clang-format >/dev/null || { echo "SKIP: clang-format not installed (scripts/deps.sh installs it)"; exit 77; }
python3 -c 'import cryptography' 2>/dev/null || { echo "SKIP: python3-cryptography missing"; exit 77; }
bad=0
finding() { echo "hygiene: $*"; bad=1; }

# 1. Private keys, found by loading them rather than by name.
mapfile -t keyish < <(git grep -l -e 'PRIVATE KEY-----' -- . ':!tests/hygiene/')
for f in "${keyish[@]}"; do
  verdict=$(python3 - "$f" <<'PY'
import base64, re, sys
from cryptography.hazmat.primitives.serialization import load_pem_private_key
text = open(sys.argv[1], 'rb').read()
for block in re.findall(rb'-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----', text, re.S):
    try:
        load_pem_private_key(block, password=None)
        print('key'); break
    except TypeError:          # encrypted: a key if its ciphertext is real, not a hollow seed
        body = b''.join(l for l in block.splitlines()[1:-1] if b':' not in l)
        try:
            data = base64.b64decode(body)
        except Exception:
            continue
        if len(data) >= 96 and len(set(data)) >= 48:   # random-looking, as ciphertext is
            print('encrypted key'); break
    except Exception:          # not a loadable key (fuzz seeds, string literals in tests)
        pass
PY
)
  [ -n "$verdict" ] && finding "$f holds a private $verdict: keys are made at test time, never committed"
done

# 2. Bytecode and machine paths.
git ls-files | grep -E '(^|/)__pycache__/|\.py[co]$' | while read -r f; do echo "hygiene: $f is Python bytecode"; done | grep . && bad=1
if git grep -nIE '(/work/|/root/|/home/[a-z][a-z0-9_-]*/)' -- . ':!tests/hygiene/' ':!.gitignore'; then
  finding "the lines above name paths of a machine; use paths relative to the repository"
fi

# 3. Formatting.
mapfile -t cxx < <(git ls-files '*.cpp' '*.hpp')
if ! clang-format --dry-run --Werror "${cxx[@]}" 2>/tmp/hygiene-format.$$; then
  head -40 /tmp/hygiene-format.$$
  finding "$(grep -c 'error:' /tmp/hygiene-format.$$) lines differ from .clang-format (run: git ls-files '*.cpp' '*.hpp' | xargs clang-format -i)"
fi
rm -f /tmp/hygiene-format.$$
[ $bad = 0 ] && echo "hygiene: clean (${#cxx[@]} C++ files formatted, ${#keyish[@]} files mention private keys, none holds one)"
exit $bad
