#!/usr/bin/env bash
# Starts a private PulseAudio daemon with one null sink, for audio-capture tests.
#
#   scripts/pulse-null-sink.sh DIR          start; prints the daemon's PID on stdout
#   scripts/pulse-null-sink.sh --stop DIR   stop the daemon started for DIR
#
# The daemon listens on DIR/native only (clients use PULSE_SERVER=unix:DIR/native or
# `pactl -s unix:DIR/native`), keeps its runtime, state, home and log (DIR/pulseaudio.log) inside
# DIR, and loads no default configuration, so several instances run side by side with different
# DIRs and none touches a desktop session's sound server. Its sink `vsink` (48 kHz) is the default
# sink and its monitor `vsink.monitor` the default source. Anonymous auth is enabled so that
# clients need no cookie. It runs as root too (pulseaudio warns, but works without --system).
#
# Exit status: 0 when the daemon answers `pactl info`; 1 with a message on stderr when pulseaudio
# or pactl is not installed, or when the daemon does not start within 10 seconds.
set -euo pipefail

die() {
  echo "pulse-null-sink: $*" >&2
  exit 1
}

if [[ "${1:-}" == "--stop" ]]; then
  dir="${2:?usage: pulse-null-sink.sh --stop DIR}"
  [[ -f "$dir/pulseaudio.pid" ]] || die "no daemon recorded in $dir/pulseaudio.pid"
  pid="$(cat "$dir/pulseaudio.pid")"
  kill "$pid" 2>/dev/null || true
  # Wait up to 5 s for it to go, so the caller can remove DIR afterwards.
  for _ in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || exit 0
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
  exit 0
fi

dir="${1:?usage: pulse-null-sink.sh DIR}"
install_hint="apt-get install -y --no-install-recommends pulseaudio pulseaudio-utils sox"
command -v pulseaudio >/dev/null 2>&1 || die "pulseaudio is not installed ($install_hint)"
command -v pactl >/dev/null 2>&1 ||
  die "pactl is not installed ($install_hint)"

mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
# The socket path must fit in sockaddr_un (108 bytes).
((${#dir} < 90)) || die "DIR path is too long for a unix socket: $dir"
mkdir -p "$dir/runtime" "$dir/state" "$dir/home" "$dir/config"
chmod 700 "$dir/runtime" "$dir/state" "$dir/home" "$dir/config"
server="unix:$dir/native"

# A private environment: nothing is read from or written to the user's own pulse directories.
HOME="$dir/home" XDG_CONFIG_HOME="$dir/config" XDG_RUNTIME_DIR="$dir/runtime" \
  PULSE_RUNTIME_PATH="$dir/runtime" PULSE_STATE_PATH="$dir/state" \
  pulseaudio -n --daemonize=no --exit-idle-time=-1 --use-pid-file=no --disable-shm=yes \
  -L "module-native-protocol-unix socket=$dir/native auth-anonymous=1" \
  -L "module-null-sink sink_name=vsink rate=48000" \
  -L module-always-sink \
  </dev/null >"$dir/pulseaudio.log" 2>&1 &
pid=$!
echo "$pid" >"$dir/pulseaudio.pid"

for _ in $(seq 100); do
  if ! kill -0 "$pid" 2>/dev/null; then
    tail -n 20 "$dir/pulseaudio.log" >&2 || true
    die "pulseaudio exited during start-up (log: $dir/pulseaudio.log)"
  fi
  if pactl -s "$server" info >/dev/null 2>&1; then
    pactl -s "$server" set-default-sink vsink ||
      die "cannot make vsink the default sink"
    pactl -s "$server" set-default-source vsink.monitor ||
      die "cannot make vsink.monitor the default source"
    echo "$pid"
    exit 0
  fi
  sleep 0.1
done

kill "$pid" 2>/dev/null || true
tail -n 20 "$dir/pulseaudio.log" >&2 || true
die "pulseaudio did not answer on $server within 10 s (log: $dir/pulseaudio.log)"
