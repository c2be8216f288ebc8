# shellcheck shell=bash
# Sourced by scripts/test.sh and scripts/run.sh: makes sure the Rust toolchain and the system
# packages the build and the tests need are present, installing packages when we may.
#
# IDLEWILD_NO_INSTALL=1 never installs: it only reports what is missing (and fails).

# What `cargo build` needs on Debian/Ubuntu: ALSA headers for audio capture, fontconfig for text.
# shellcheck disable=SC2034 # used by the scripts that source this file
BUILD_PACKAGES=(libasound2-dev pkg-config libfontconfig1-dev)

# Fails with the rustup hint when there is no cargo on PATH.
ensure_cargo() {
  if command -v cargo >/dev/null 2>&1; then
    return 0
  fi
  cat >&2 <<'HINT'
idlewild: `cargo` was not found on PATH. Install Rust with rustup (https://rustup.rs):

    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y
    . "$HOME/.cargo/env"

then run this script again.
HINT
  exit 1
}

# ensure_packages PKG...: installs the Debian packages that are missing, when running as root or
# with password-less sudo; otherwise prints the apt command and exits 1. Quiet when all are there.
ensure_packages() {
  if ! command -v dpkg-query >/dev/null 2>&1; then
    cat >&2 <<WARN

!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!
!! WARNING: this is not a Debian-like system (no dpkg), so packages were NOT checked.
!! Install the equivalents of these Debian packages with your package manager:
!!     $*
!! Continuing; the build or the tests may fail for want of them.
!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!

WARN
    return 0
  fi

  local pkg status missing=()
  for pkg in "$@"; do
    status=$(dpkg-query -W -f='${Status}\n' "$pkg" 2>/dev/null || true)
    if [[ $status != *"ok installed"* ]]; then
      missing+=("$pkg")
    fi
  done
  if ((${#missing[@]} == 0)); then
    return 0
  fi

  # How to become root: already root, password-less sudo, or not at all.
  local as_root=()
  if [[ ${IDLEWILD_NO_INSTALL:-} == 1 ]]; then
    as_root=(cannot)
  elif [[ $(id -u) != 0 ]]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      as_root=(sudo)
    else
      as_root=(cannot)
    fi
  fi
  if [[ ${as_root[*]-} == cannot ]]; then
    cat >&2 <<NEED
idlewild: missing system packages: ${missing[*]}
Install them with:

    sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}

then run this script again.
NEED
    exit 1
  fi

  echo "idlewild: installing missing packages: ${missing[*]}" >&2
  # `apt-get update` only once per run, and only when something has to be installed.
  if [[ -z ${_IDLEWILD_APT_UPDATED:-} ]]; then
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    _IDLEWILD_APT_UPDATED=1
  fi
  if ! "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
    echo "idlewild: installing failed; try: apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
}
