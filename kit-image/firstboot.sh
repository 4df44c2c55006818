#!/bin/bash
# First start of a new box: draw its number, Wi-Fi passphrase and admin setup code (a
# kit.toml put in the image is kept), install the system files made from kit.toml, hand the
# card out, then reboot once into the kit. Run by mednum-kit-firstboot.service.
#
# The card holds the Wi-Fi passphrase and the admin setup code, so it never goes to this
# script's output: the unit sends that to the journal, which keeps it on disk and lets the
# `adm` and `systemd-journal` groups read it. The card goes to the screen, the SD card's boot
# partition and a file only root reads.
set -euo pipefail

DATA=/var/lib/mednum-kit
KIT=/usr/bin/mednum-kit
DONE="$DATA/.first-boot-done"
CARD_DIR=/boot/firmware
CARD_COPY=/root/mednum-kit-fiche.txt
CONSOLE=/dev/console

# Draws what is missing (all of it on a new box; only the admin code when a kit.toml was put
# in the image) and hands the card out.
hand_out_card() {
  local card
  card="$("$KIT" --data-dir "$DATA" system init)"
  # The card goes where the advisor can read it from any computer: the SD card's FAT
  # partition. Windows line ends, so Notepad shows it right.
  if [ -d "$CARD_DIR" ]; then
    printf '%s\n' "$card" | sed 's/$/\r/' >"$CARD_DIR/mednum-kit-fiche.txt"
  fi
  # Root's copy, for an admin who logs in later. Removed first: a copy left by an
  # interrupted first boot would keep its old mode.
  rm -f "$CARD_COPY"
  (umask 077 && printf '%s\n' "$card" >"$CARD_COPY")
  # The screen, if one is plugged in; a box without one goes on.
  if [ -w "$CONSOLE" ]; then
    { printf '\n%s\n\n' "$card" >"$CONSOLE"; } 2>/dev/null || true
  fi
  echo "fiche du kit écrite dans $CARD_COPY (lisible par root seulement)"
}

main() {
  install -d -o mednum-kit -g mednum-kit -m 0750 "$DATA"
  hand_out_card
  chgrp mednum-kit "$DATA/kit.toml" "$DATA/admin-setup-code"

  "$KIT" --data-dir "$DATA" system install --root /
  systemctl daemon-reload
  systemctl enable mednum-kit-wifi.service
  touch "$DONE"
  systemctl disable mednum-kit-firstboot.service
  # NetworkManager, hostapd and the firewall read their new files at the next start.
  systemctl --no-block reboot
}

# tests/system_files.rs sources this file to run `hand_out_card` alone.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  main "$@"
fi
