#!/usr/bin/env bash
# The whole test suite, as CI runs it: system packages, formatting, clippy, a compile check of the
# Windows code, then every test in the workspace.
#
#   ./scripts/test.sh                 everything
#   SKIP_LINT=1 ./scripts/test.sh     a quick local run: skips fmt, clippy and the Windows check
#   ./scripts/test.sh NAME            extra arguments go to `cargo test` (e.g. a test-name filter)
#
# An existing CARGO_TARGET_DIR is respected. IDLEWILD_NO_INSTALL=1 reports missing packages
# instead of installing them (see scripts/deps.sh).
#
# Skips: a test that cannot run here (a part of the machine missing) says so through
# idlewild-testkit, which appends a line to $IDLEWILD_SKIP_LOG; this script prints how many
# tests skipped and why at the end. Under CI=true (or IDLEWILD_REQUIRE_ALL=1) every skip is a
# failure instead, and so is a Windows check that cannot run.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# shellcheck source=scripts/deps.sh
. scripts/deps.sh

# Prints a header, runs the command, prints how long it took; a failure stops the script.
step() {
  local title=$1 start=$SECONDS
  shift
  printf '\n==== %s ====\n' "$title"
  "$@"
  printf -- '---- %s: %ds\n' "$title" $((SECONDS - start))
}

windows_check() {
  local target=x86_64-pc-windows-gnu
  if ! command -v rustup >/dev/null 2>&1 ||
    ! { rustup target list --installed | grep -q "$target" || rustup target add "$target"; }; then
    if [[ ${CI:-} == true ]]; then
      echo "idlewild: the Rust target $target is not available, so the Windows code cannot" \
        "be checked; under CI=true that is a failure." >&2
      return 1
    fi
    cat >&2 <<WARN

!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!
!! WARNING: the Rust target $target is not available (no rustup, or
!! \`rustup target add $target\` failed, e.g. offline).
!! The Windows code (cfg(windows): shared memory, job objects, process handles) was
!! NOT CHECKED. It may not even compile. Fix the target and run this script again.
!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!

WARN
    windows_unchecked=1
    return 0
  fi
  # Clippy type-checks every target (tests included) for Windows and lints the cfg(windows)
  # code; nothing links, so no mingw toolchain is needed.
  cargo clippy --target "$target" --workspace --all-targets -- -D warnings
}

# Build packages, then what the renderer tests (lavapipe under Xvfb), the two-monitor test (Xorg
# with the dummy driver, set up with xrandr), the audio-capture tests (a private PulseAudio
# daemon with a null sink, fed by sox and paplay) and the photo tests use.
packages() {
  ensure_cargo
  ensure_packages "${BUILD_PACKAGES[@]}" \
    mesa-vulkan-drivers libvulkan1 xvfb xauth x11-utils \
    xserver-xorg-core xserver-xorg-video-dummy x11-xserver-utils \
    pulseaudio pulseaudio-utils sox \
    mate-backgrounds
}

# Prints how many tests skipped and why (nothing when none did), from the skip log.
report_skips() {
  [[ -s ${IDLEWILD_SKIP_LOG:-} ]] || return 0
  local count test reason
  count=$(wc -l <"$IDLEWILD_SKIP_LOG")
  printf '\n!!!! %d test(s) SKIPPED: they did NOT run (IDLEWILD_REQUIRE_ALL=1 makes a skip fail):\n' \
    "$count" >&2
  while IFS=$'\t' read -r test reason; do
    printf '!!!!   %s: %s\n' "$test" "$reason" >&2
  done <"$IDLEWILD_SKIP_LOG"
}

# Temporary paths removed at exit, after the skip report (which also follows a failed run).
temporaries=()
on_exit() {
  report_skips
  local path
  for path in ${temporaries[@]+"${temporaries[@]}"}; do
    rm -rf "$path"
  done
}
trap on_exit EXIT

# CI never skips: a test that cannot run there fails with the reason.
if [[ ${CI:-} == true ]]; then
  export IDLEWILD_REQUIRE_ALL=1
fi
# Every skip of this run lands here (a file the caller named is kept, and not emptied).
if [[ -z ${IDLEWILD_SKIP_LOG:-} ]]; then
  IDLEWILD_SKIP_LOG=$(mktemp "${TMPDIR:-/tmp}/idlewild-skips.XXXXXX")
  temporaries+=("$IDLEWILD_SKIP_LOG")
fi
export IDLEWILD_SKIP_LOG

total=$SECONDS
windows_unchecked=0
step "toolchain and system packages" packages

# Vulkan loaders warn without a runtime directory; give the tests a private one.
if [[ -z ${XDG_RUNTIME_DIR:-} ]]; then
  XDG_RUNTIME_DIR=$(mktemp -d "${TMPDIR:-/tmp}/idlewild-xdg.XXXXXX")
  chmod 700 "$XDG_RUNTIME_DIR"
  export XDG_RUNTIME_DIR
  temporaries+=("$XDG_RUNTIME_DIR")
fi

if [[ ${SKIP_LINT:-} == 1 ]]; then
  printf '\n==== SKIP_LINT=1: skipping fmt, clippy and the Windows check ====\n'
else
  step "cargo fmt --check" cargo fmt --all -- --check
  step "cargo clippy" cargo clippy --workspace --all-targets -- -D warnings
  step "Windows check (x86_64-pc-windows-gnu)" windows_check
fi
step "cargo test" cargo test --workspace "$@"

skipped=0
if [[ -s $IDLEWILD_SKIP_LOG ]]; then
  skipped=$(wc -l <"$IDLEWILD_SKIP_LOG")
fi
if ((windows_unchecked)); then
  printf '\n==== all passed in %ds, but the Windows code was NOT checked (see above) ====\n' \
    $((SECONDS - total))
elif ((skipped)); then
  printf '\n==== all passed in %ds, but %d test(s) were SKIPPED (listed below) ====\n' \
    $((SECONDS - total)) "$skipped"
else
  printf '\n==== all passed in %ds ====\n' $((SECONDS - total))
fi
