# shellcheck shell=bash
# Debian packages for .ci/run and scripts/*: quiet, non-interactive, idempotent.
#
# `apt_install PKG[=VERSION]...` installs what is missing (or at another version) and leaves the
# rest alone. The package lists are refreshed at most once per CI run (PORTFIX_APT_UPDATED is
# exported after the first `apt-get update`), and waits for a dpkg lock held by another apt.

export DEBIAN_FRONTEND=noninteractive
APT_OPTS=(-q -o=Dpkg::Use-Pty=0 -o DPkg::Lock::Timeout=600 -o Acquire::Retries=3)

apt_update_once() {
    if [[ "${PORTFIX_APT_UPDATED:-}" != 1 ]]; then
        echo "apt: refreshing package lists"
        apt-get "${APT_OPTS[@]}" -qq update
        export PORTFIX_APT_UPDATED=1
    fi
}

# True when PKG (optionally PKG=VERSION) is installed, at that version if one is given.
apt_has() {
    local name=${1%%=*} want=
    [[ "$1" == *=* ]] && want=${1#*=}
    local status version
    IFS='|' read -r status version < <(dpkg-query -W -f='${db:Status-Abbrev}|${Version}\n' "$name" 2>/dev/null) || return 1
    [[ "$status" == ii* ]] || return 1
    [[ -z "$want" || "$version" == "$want" ]]
}

apt_install() {
    local missing=() p
    for p in "$@"; do
        apt_has "$p" || missing+=("$p")
    done
    if ((${#missing[@]} == 0)); then
        echo "apt: already installed: ${*%%=*}"
        return 0
    fi
    apt_update_once
    echo "apt: installing ${missing[*]}"
    apt-get "${APT_OPTS[@]}" install -y --no-install-recommends --allow-downgrades "${missing[@]}" >/dev/null
}

# True when the package lists offer PKG at exactly VERSION.
apt_offers() {
    apt-cache madison "$1" 2>/dev/null | awk -F'|' '{gsub(/ /,"",$2); print $2}' | grep -qxF "$2"
}
