#!/bin/bash
# Run by the kit (its unprivileged user) to export packs to a stick: `usb-remount rw NAME`
# before the copy, `usb-remount ro NAME` after. It asks systemd to start
# mednum-kit-usb-rw@NAME or mednum-kit-usb-ro@NAME (root, usb-mount rw|ro), which the polkit
# rule 50-mednum-kit-usb.rules allows the kit's user, and nothing else.
set -euo pipefail

mode="${1:-}"
name="${2:-}"
if [[ ! "$mode" =~ ^(rw|ro)$ ]] || [[ ! "$name" =~ ^[a-z0-9]+$ ]]; then
  echo "usage: usb-remount rw|ro NAME (NAME: a device name like sda1)" >&2
  exit 2
fi
exec systemctl start --no-ask-password "mednum-kit-usb-$mode@$name.service"
