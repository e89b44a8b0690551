#!/usr/bin/env bash
# Installs the Debian packages listed in debian-packages.txt that are not yet installed; with
# --training also those of debian-packages-training.txt (PyTorch & co., for training TomoGAN and
# reference comparisons). Run as root (or through sudo). Safe to run repeatedly.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
lists=("$here/debian-packages.txt")
case "${1:-}" in
  "") ;;
  --training) lists+=("$here/debian-packages-training.txt") ;;
  *) echo "usage: $0 [--training]" >&2; exit 2 ;;
esac
mapfile -t wanted < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "${lists[@]}")
missing=()
for pkg in "${wanted[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done
if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#wanted[@]} packages present"
  exit 0
fi
echo "install-deps: installing ${#missing[@]} packages: ${missing[*]}"
sudo_cmd=()
((EUID == 0)) || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -q
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
