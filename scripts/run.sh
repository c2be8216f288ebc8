#!/usr/bin/env bash
# Builds and runs Idlewild (release). Arguments go to the program, e.g.
#   ./scripts/run.sh settings set display.mode fit
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/deps.sh
. "$root/scripts/deps.sh"

ensure_cargo
ensure_packages "${BUILD_PACKAGES[@]}"

# No `cd`: relative paths in the arguments (such as --settings FILE) stay relative to the caller.
exec cargo run --release --manifest-path "$root/Cargo.toml" -p idlewild -- "$@"
