# Sourced by the other scripts: makes sure .venv exists with this checkout's
# dependencies, reinstalling only when pyproject.toml changed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ ! -x "$root/.venv/bin/python" ]; then
  python=""
  for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      python="$candidate"; break
    fi
  done
  [ -n "$python" ] || { echo "Daicho needs Python 3.11 or newer" >&2; exit 2; }
  "$python" -m venv "$root/.venv"
fi
stamp="$root/.venv/.daicho-installed"
wanted="$(sha256sum "$root/pyproject.toml" | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  "$root/.venv/bin/python" -m pip install --quiet --disable-pip-version-check -e "$root[test]"
  echo "$wanted" > "$stamp"
fi
export PATH="$root/.venv/bin:$PATH"
