# Shared by bin/demo and bin/test: find Python 3.12+, create .venv, install the pinned set.
# Sourced, not run.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.venv"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf '\033[31merror:\033[0m %s\n' "$*" >&2; exit 1; }

python_candidates() {
    # python3 may be 3.11 on a machine that also has 3.12/3.13, so try the versioned names first,
    # then interpreters installed by pyenv or by hand (a pyenv shim for python3.12 fails when
    # another version is selected, so look behind the shims too).
    [ -n "${PYTHON:-}" ] && echo "$PYTHON"
    # 3.12 first: it is what CI and the pinned set are tested on; newer ones work too.
    echo python3.12; echo python3.13
    local root="${PYENV_ROOT:-$HOME/.pyenv}"
    ls -d "$root"/versions/3.12*/bin/python3 2>/dev/null | sort -rV
    ls -d "$root"/versions/3.1[3-9]*/bin/python3 2>/dev/null | sort -V
    ls -d /usr/local/bin/python3.1[2-9] /usr/bin/python3.1[2-9] /opt/*/bin/python3.1[2-9] 2>/dev/null | sort -V
    echo python3; echo python
}

find_python() {
    local candidate
    for candidate in $(python_candidates); do
        [ -n "$candidate" ] || continue
        command -v "$candidate" >/dev/null 2>&1 || [ -x "$candidate" ] || continue
        if "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null \
            && "$candidate" -c 'import venv, ensurepip' 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

ensure_venv() {
    local extra="${1:-}"  # "" for the portal, "embedded" for its demo server, "test" for all
    if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)'; then
        local py
        py="$(find_python)" || die "Python 3.12 or newer (with venv and ensurepip) was not found.
Tried: \$PYTHON, python3.12, python3.13, pyenv versions, /usr/local/bin, /usr/bin, python3.
Install one (Debian/Ubuntu: apt-get install python3.12 python3.12-venv) or set PYTHON=/path/to/python3.12."
        say "Creating .venv with $py ($("$py" --version 2>&1))"
        rm -rf "$VENV"
        "$py" -m venv "$VENV"
    fi
    # Reinstall only when pyproject.toml changed since the last install of this flavour.
    local stamp="$VENV/.installed-${extra:-base}"
    local want
    want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
        say "Installing pinned dependencies${extra:+ (with $extra extra)}"
        "$VENV/bin/python" -m pip install --quiet --upgrade pip
        # The portal runs from its checkout; installing "." only brings the pinned dependencies.
        if [ -n "$extra" ]; then
            "$VENV/bin/python" -m pip install --quiet ".[$extra]"
        else
            "$VENV/bin/python" -m pip install --quiet .
        fi
        "$VENV/bin/python" -m pip check
        echo "$want" > "$stamp"
    fi
    export PATH="$VENV/bin:$PATH"
}

have_apt_root() { command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; }

ensure_system_packages() {
    # ensure_system_packages CMD:PACKAGE ... installs PACKAGE when CMD is missing (root + apt only).
    local missing=() pair cmd pkg
    for pair in "$@"; do
        cmd="${pair%%:*}"; pkg="${pair#*:}"
        if ! command -v "$cmd" >/dev/null 2>&1 && [ ! -x "$cmd" ]; then missing+=("$pkg"); fi
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if have_apt_root; then
        say "Installing system packages: ${missing[*]}"
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
        die "Missing system packages: ${missing[*]} (install them with your package manager)."
    fi
}

compile_translations() {
    if [ -d locale ]; then
        python manage.py compilemessages --ignore=.venv -v 0
    fi
}
