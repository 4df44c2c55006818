#!/bin/bash
# Mounts a USB stick's partition read-only under /media/NAME (add NAME), or unmounts it
# (remove NAME); for an export, mounts it again read-write, writable by the kit (rw NAME),
# then read-only again (ro NAME). NAME is a kernel name such as sda1. Run by
# mednum-kit-usb@NAME.service (add, remove) and mednum-kit-usb-rw@/-ro@NAME.service (rw, ro),
# which the kit starts through usb-remount.
#
# rw and ro unmount and mount again rather than remount: a new mount reaches the kit's own
# mount namespace (systemd's sandbox), a change of flags on an existing one does not.
set -euo pipefail

action="${1:-}"
name="${2:-}"
if [[ ! "$name" =~ ^[a-z0-9]+$ ]]; then
  echo "usb-mount: \`$name\` is not a device name like sda1" >&2
  exit 2
fi
dev="/dev/$name"
dir="${MEDNUM_KIT_MEDIA:-/media}/$name"

# The mount options of a FAT, exFAT or NTFS stick: $1 is ro or rw. Read-write only for the
# kit's own user; read-only, every file readable by it.
stick_options() {
  local mode="$1" owner=""
  if [ "$mode" = rw ] && id -u mednum-kit >/dev/null 2>&1; then
    owner=",uid=$(id -u mednum-kit),gid=$(id -g mednum-kit)"
  fi
  echo "$mode,nosuid,nodev,noexec,noatime,fmask=0133,dmask=0022$owner"
}

case "$action" in
  add)
    # The system disk (a Pi that boots from USB) and anything already mounted stay as they are.
    if findmnt -rn -S "$dev" >/dev/null; then
      echo "usb-mount: $dev is already mounted, left alone"
      exit 0
    fi
    root_disk="$(lsblk -no PKNAME "$(findmnt -rno SOURCE /)" 2>/dev/null || true)"
    disk="$(lsblk -no PKNAME "$dev" 2>/dev/null || true)"
    if [ -n "$root_disk" ] && { [ "$disk" = "$root_disk" ] || [ "$name" = "$root_disk" ]; }; then
      echo "usb-mount: $dev is on the system disk, left alone"
      exit 0
    fi
    # Read-only, nothing on the stick can run, and every file is readable by the kit.
    options="$(stick_options ro)"
    fstype="$(blkid -o value -s TYPE "$dev" || true)"
    case "$fstype" in
      vfat) drivers=(vfat); options+=",utf8,shortname=mixed" ;;
      exfat) drivers=(exfat); options+=",iocharset=utf8" ;;
      # The kernel's ntfs3 driver, else ntfs-3g (FUSE) where the kernel lacks it.
      ntfs) drivers=(ntfs3 ntfs-3g) ;;
      *)
        echo "usb-mount: $dev holds \`$fstype\`, not FAT, exFAT or NTFS: not mounted"
        exit 0
        ;;
    esac
    mkdir -p "$dir"
    for driver in "${drivers[@]}"; do
      if mount -t "$driver" -o "$options" "$dev" "$dir"; then
        echo "usb-mount: $dev ($fstype) mounted read-only on $dir"
        exit 0
      fi
    done
    rmdir "$dir" 2>/dev/null || true
    echo "usb-mount: could not mount $dev ($fstype)" >&2
    exit 1
    ;;
  rw | ro)
    # Only a stick this script mounted, still there.
    if ! mountpoint -q "$dir"; then
      echo "usb-mount: nothing mounted on $dir" >&2
      exit 1
    fi
    source="$(findmnt -rno SOURCE "$dir")"
    fstype="$(findmnt -rno FSTYPE "$dir")"
    if [ "$source" != "$dev" ]; then
      echo "usb-mount: $dir holds $source, not $dev: left alone" >&2
      exit 1
    fi
    options="$(stick_options "$action")"
    case "$fstype" in
      vfat) options+=",utf8,shortname=mixed" ;;
      exfat) options+=",iocharset=utf8" ;;
    esac
    sync -f "$dir" || true
    umount "$dir"
    if ! mount -t "$fstype" -o "$options" "$dev" "$dir"; then
      # Back as it was, read-only, if at all possible.
      mount -t "$fstype" -o "$(stick_options ro)" "$dev" "$dir" || true
      echo "usb-mount: could not mount $dev $action on $dir" >&2
      exit 1
    fi
    echo "usb-mount: $dev mounted $action on $dir"
    ;;
  remove)
    # Lazy: the stick may be gone already, or the kit may be reading a file on it.
    if mountpoint -q "$dir"; then
      umount -l "$dir"
    fi
    rmdir "$dir" 2>/dev/null || true
    ;;
  *)
    echo "usage: usb-mount add|remove|rw|ro NAME" >&2
    exit 2
    ;;
esac
