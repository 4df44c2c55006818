#!/bin/bash
# First start of a new box: draw its number, Wi-Fi passphrase and admin setup code (a
# kit.toml put in the image is kept), install the system files made from kit.toml, write the
# card to the boot partition, then reboot once into the kit. Run by mednum-kit-firstboot.service.
set -euo pipefail

DATA=/var/lib/mednum-kit
KIT=/usr/bin/mednum-kit
DONE="$DATA/.first-boot-done"
CARD_DIR=/boot/firmware

install -d -o mednum-kit -g mednum-kit -m 0750 "$DATA"
# Draws what is missing (all of it on a new box; only the admin code when a kit.toml was put
# in the image) and prints the card.
card="$(mktemp)"
"$KIT" --data-dir "$DATA" system init >"$card"
chgrp mednum-kit "$DATA/kit.toml" "$DATA/admin-setup-code"
# The card goes where the advisor can read it from any computer: the SD card's FAT
# partition. Windows line ends, so Notepad shows it right.
if [ -d "$CARD_DIR" ]; then
  sed 's/$/\r/' "$card" >"$CARD_DIR/mednum-kit-fiche.txt"
fi
cat "$card"
rm -f "$card"

"$KIT" --data-dir "$DATA" system install --root /
systemctl daemon-reload
systemctl enable mednum-kit-wifi.service
touch "$DONE"
systemctl disable mednum-kit-firstboot.service
# NetworkManager, hostapd and the firewall read their new files at the next start.
systemctl --no-block reboot
