#!/usr/bin/env bash
# Runs a command inside a private D-Bus session with a real, unlocked Secret Service
# (gnome-keyring) whose keyrings live in a throwaway folder: how the tests reach the OS keychain
# headless. Usage: scripts/with-keyring.sh COMMAND [ARGS...]
#
# The Secret Service is started by D-Bus activation from a service file in the throwaway
# XDG_DATA_HOME (searched before the system's), whose daemon unlocks the login keyring with a
# throwaway password as it starts. The system's service file would start a daemon with the
# keyring locked, asking an unlock prompt no headless session can answer ("unlock prompt was
# dismissed"): that happened whenever a request reached the bus before a separately started
# daemon had claimed its name, or after it had gone. The command runs only once the service
# answers with the login keyring unlocked.
set -euo pipefail
keyring_home=$(mktemp -d)
trap 'rm -rf "$keyring_home"' EXIT
export XDG_DATA_HOME="$keyring_home"
mkdir -p "$keyring_home/dbus-1/services"
cat > "$keyring_home/start-secret-service" <<'EOF'
#!/bin/sh
echo -n lucent-throwaway | exec gnome-keyring-daemon --unlock --foreground --components=secrets >/dev/null
EOF
chmod +x "$keyring_home/start-secret-service"
cat > "$keyring_home/dbus-1/services/org.freedesktop.secrets.service" <<EOF
[D-BUS Service]
Name=org.freedesktop.secrets
Exec=$keyring_home/start-secret-service
EOF
dbus-run-session -- bash -c '
  # Activates the service and waits (at most 20 s) for the login keyring to report unlocked.
  for _ in $(seq 1 100); do
    if dbus-send --session --print-reply --dest=org.freedesktop.secrets \
         /org/freedesktop/secrets/collection/login org.freedesktop.DBus.Properties.Get \
         string:org.freedesktop.Secret.Collection string:Locked 2>/dev/null \
         | grep -q "boolean false"; then
      exec "$@"
    fi
    sleep 0.2
  done
  echo "with-keyring: the Secret Service did not come up with an unlocked login keyring" >&2
  exit 1
' bash "$@"
