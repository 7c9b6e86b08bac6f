#!/usr/bin/env bash
# Runs a command inside a private D-Bus session with a real, unlocked Secret Service
# (gnome-keyring) whose keyrings live in a throwaway folder: how the tests reach the OS keychain
# headless. Usage: scripts/with-keyring.sh COMMAND [ARGS...]
set -euo pipefail
keyring_home=$(mktemp -d)
trap 'rm -rf "$keyring_home"' EXIT
export XDG_DATA_HOME="$keyring_home"
dbus-run-session -- bash -c '
  echo -n lucent-throwaway | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  "$@"
' bash "$@"
