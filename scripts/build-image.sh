#!/usr/bin/env bash
# Turns a Raspberry Pi OS Lite (arm64) image file into a mednum-kit box image, in place.
#
#   sudo bash scripts/build-image.sh 2025-…-raspios-bookworm-arm64-lite.img
#
# Environment: DEB=path/to/mednum-kit_…_arm64.deb (default: the newest in target/debian/, built
# if none), GROW=1G (room added for the packages), KIT_TOML=file (a kit.toml to ship instead
# of drawing secrets at first boot). The image's apt needs network access. See kit-image/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."

image="${1:?usage: build-image.sh IMAGE.img}"
[ -f "$image" ] || { echo "build-image: \`$image\` is not a file" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "build-image: run as root (loop devices, mount, chroot)" >&2; exit 2; }

deb="${DEB:-}"
if [ -z "$deb" ]; then
  deb="$(find "${CARGO_TARGET_DIR:-target}/debian" -name 'mednum-kit_*_arm64.deb' 2>/dev/null | sort -V | tail -n1)"
  if [ -z "$deb" ]; then
    bash scripts/package-deb.sh arm64
    deb="$(find "${CARGO_TARGET_DIR:-target}/debian" -name 'mednum-kit_*_arm64.deb' | sort -V | tail -n1)"
  fi
fi
echo "build-image: kit package $deb"

# Host tools: partition editing, ext4 resizing, and qemu to run the image's arm64 programs.
need=()
command -v sfdisk >/dev/null || need+=(fdisk)
command -v resize2fs >/dev/null || need+=(e2fsprogs)
[ -e /usr/libexec/qemu-binfmt/aarch64-binfmt-P ] || need+=(qemu-user-static)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

# Room for the packages: grow the file, then partition 2 (the root file system) to its end.
truncate -s "+${GROW:-1G}" "$image"
echo ", +" | sfdisk --quiet --no-reread --no-tell-kernel -N 2 "$image"
read -r start sectors < <(partx -g -o START,SECTORS -n 2 "$image")

root="$(mktemp -d)"
loop=""
registered=""
resolv_copied=""
cleanup() {
  set +e
  for dir in dev/pts dev sys proc; do
    mountpoint -q "$root/$dir" && umount "$root/$dir"
  done
  rm -f "$root/usr/sbin/policy-rc.d" "$root/tmp/mednum-kit.deb"
  if [ -n "$resolv_copied" ]; then
    rm -f "$root/etc/resolv.conf"
    if [ -e "$root/etc/resolv.conf.mednum-kit" ] || [ -L "$root/etc/resolv.conf.mednum-kit" ]; then
      mv "$root/etc/resolv.conf.mednum-kit" "$root/etc/resolv.conf"
    fi
  fi
  mountpoint -q "$root" && umount "$root"
  [ -n "$loop" ] && losetup -d "$loop"
  rmdir "$root"
  [ -n "$registered" ] && echo -1 >/proc/sys/fs/binfmt_misc/qemu-aarch64
}
trap cleanup EXIT

# binfmt_misc runs arm64 programs through qemu; the F flag lets it work inside the chroot.
# Registered here only if it was not, and removed again at the end.
if [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
  [ -e /proc/sys/fs/binfmt_misc/register ] \
    || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
  cat /usr/lib/binfmt.d/qemu-aarch64.conf >/proc/sys/fs/binfmt_misc/register
  registered=1
fi

loop="$(losetup -f --show -o $((start * 512)) --sizelimit $((sectors * 512)) "$image")"
e2fsck -fp "$loop" || [ $? -le 1 ]
resize2fs "$loop"
mount "$loop" "$root"
[ -x "$root/usr/bin/apt-get" ] || { echo "build-image: no Debian system in partition 2" >&2; exit 1; }

mount -t proc proc "$root/proc"
mount -t sysfs sysfs "$root/sys"
mount --bind /dev "$root/dev"
mount --bind /dev/pts "$root/dev/pts"
# apt in the chroot resolves names with the host's settings; the image's own come back after.
if [ -e "$root/etc/resolv.conf" ] || [ -L "$root/etc/resolv.conf" ]; then
  mv "$root/etc/resolv.conf" "$root/etc/resolv.conf.mednum-kit"
fi
resolv_copied=1
cp -L /etc/resolv.conf "$root/etc/resolv.conf"
# No service starts inside the chroot.
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 0755 "$root/usr/sbin/policy-rc.d"

in_image() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
  DEBIAN_FRONTEND=noninteractive LC_ALL=C "$@"; }

cp "$deb" "$root/tmp/mednum-kit.deb"
in_image apt-get update -qq
in_image apt-get install -y -qq --no-install-recommends \
  hostapd dnsmasq nftables ntfs-3g polkitd /tmp/mednum-kit.deb

install -d "$root/usr/lib/mednum-kit"
install -m 0755 kit-image/firstboot.sh "$root/usr/lib/mednum-kit/firstboot"
install -m 0755 kit-image/usb/usb-mount.sh "$root/usr/lib/mednum-kit/usb-mount"
install -m 0755 kit-image/usb/usb-remount.sh "$root/usr/lib/mednum-kit/usb-remount"
install -m 0644 kit-image/mednum-kit-firstboot.service kit-image/usb/mednum-kit-usb@.service \
  kit-image/usb/mednum-kit-usb-rw@.service kit-image/usb/mednum-kit-usb-ro@.service \
  "$root/etc/systemd/system/"
install -m 0644 kit-image/usb/90-mednum-kit-usb.rules "$root/etc/udev/rules.d/"
install -d -m 0755 "$root/etc/polkit-1/rules.d"
install -m 0644 kit-image/usb/50-mednum-kit-usb.rules "$root/etc/polkit-1/rules.d/"
# dnsmasq does not listen on the box's loopback, so it must not become the box's resolver.
echo 'DNSMASQ_EXCEPT="lo"' >>"$root/etc/default/dnsmasq"
if [ -n "${KIT_TOML:-}" ]; then
  install -d -m 0750 "$root/var/lib/mednum-kit"
  install -m 0640 "$KIT_TOML" "$root/var/lib/mednum-kit/kit.toml"
  in_image chown -R mednum-kit:mednum-kit /var/lib/mednum-kit
  in_image chown root:mednum-kit /var/lib/mednum-kit/kit.toml
fi

# Debian ships hostapd masked until it has a configuration; first boot writes it.
in_image systemctl unmask hostapd.service
in_image systemctl enable hostapd.service dnsmasq.service nftables.service \
  mednum-kit.service mednum-kit-firstboot.service

echo "build-image: $image is ready; write it with Raspberry Pi Imager (see kit-image/README.md)"
