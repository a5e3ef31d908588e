#!/usr/bin/env bash
# Install the Debian 12 packages otpdesk needs, only those missing.
# A no-op (one dpkg-query) when everything is present. Needs root to install.
set -euo pipefail

pkgs=(build-essential pkg-config libncurses-dev libpq-dev postgresql-15 postgresql-client-15
      libssl-dev libcunit1-dev gettext tmux oathtool libxml2-dev libqrencode-dev liboath-dev
      locales procps)

missing=()
for p in "${pkgs[@]}"; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$st" = "install ok installed" ] || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "error: missing packages: ${missing[*]}" >&2
		echo "hint: run as root: apt-get install ${missing[*]}" >&2
		exit 1
	fi
	echo "deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The Japanese UI needs a ja_JP.UTF-8 locale (TUI tests render kana through it).
if ! locale -a 2>/dev/null | grep -qi '^ja_JP\.utf-\?8$'; then
	if [ "$(id -u)" -eq 0 ]; then
		echo "deps: generating ja_JP.UTF-8 locale"
		if [ -f /etc/locale.gen ] && grep -q '^# *ja_JP.UTF-8' /etc/locale.gen; then
			sed -i 's/^# *\(ja_JP.UTF-8 UTF-8\)/\1/' /etc/locale.gen
		elif ! grep -q '^ja_JP.UTF-8' /etc/locale.gen 2>/dev/null; then
			echo 'ja_JP.UTF-8 UTF-8' >> /etc/locale.gen
		fi
		locale-gen >/dev/null
	else
		echo "warning: ja_JP.UTF-8 locale missing (as root: locale-gen ja_JP.UTF-8)" >&2
	fi
fi
exit 0
