#!/usr/bin/env bash
# Builds and runs Idlewild (release). Arguments go to the program, e.g.
#   ./scripts/run.sh settings set display.mode fit
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/deps.sh
. "$root/scripts/deps.sh"

ensure_cargo
# libvulkan1 + mesa-vulkan-drivers: wgpu's Vulkan loader, and a software renderer (lavapipe) for
# machines whose GPU has no Vulkan driver.
ensure_packages "${BUILD_PACKAGES[@]}" libvulkan1 mesa-vulkan-drivers

# No `cd`: relative paths in the arguments (such as --settings FILE) stay relative to the caller.
exec cargo run --release --manifest-path "$root/Cargo.toml" -p idlewild -- "$@"
