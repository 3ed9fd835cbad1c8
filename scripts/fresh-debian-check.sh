#!/usr/bin/env bash
# shellcheck disable=SC2016,SC2317  # backticks are literal; cleanup and step run by trap and by the session
# Runs the README's quick start VERBATIM on a fresh Debian 12 (bookworm) root, as a newcomer would:
# issue 14 "Done when: the README's quick start works verbatim in a fresh Debian 12 container".
# Not run by CI: it needs root, mmdebstrap or debootstrap, a Debian mirror and PyPI.
#
#   sudo bash scripts/fresh-debian-check.sh [--mode container|machine] [--readme FILE] [--root DIR]
#                                           [--full] [--keep]
#
# --mode container  (default) like `docker run -it debian:12`: you are root, there is no sudo, no
#                   python3 and no apt package lists. The README's `sudo` is left out, as it says.
# --mode machine    a Debian 12 machine: a normal user `newcomer` who may use sudo; python3 is not
#                   there yet either (a minimal install), the package lists are.
# --readme FILE     take the quick start from FILE (a proposed wording) instead of README.md.
# --full            run the whole test suite (about 30 minutes); by default the README's test command
#                   runs `pytest tests/test_readme.py tests/demo -q` instead of the bare `pytest`.
# --keep            keep the root (about 2 GB afterwards); by default it is removed at the end.
# --dry-run         only print the commands it would run (no root needed; tests/test_readme.py uses it).
#
# The commands come from the README's "## Quick start" section: its fenced blocks (the venv line, the
# demo line, the test line, and an apt line if it has one as a block) and, if no block says apt-get,
# the inline `sudo apt-get …` hint. They run in one shell session, in the README's order; when the venv
# line fails the newcomer runs the README's apt hint and the venv line again. Every step's output goes
# to the log; the script exits 1 unless the venv, demo and test steps finally succeed.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
mode=container readme="$repo/README.md" root=/var/tmp/kamplan-fresh-root full=0 keep=0 dry_run=0
while [ $# -gt 0 ]; do
    case "$1" in
        --mode) mode="$2"; shift 2 ;;
        --readme) readme="$(realpath "$2")"; shift 2 ;;
        --root) root="$2"; shift 2 ;;
        --full) full=1; shift ;;
        --keep) keep=1; shift ;;
        --dry-run) dry_run=1; shift ;;
        *) echo "unknown option $1 (see the head of $0)" >&2; exit 2 ;;
    esac
done
case "$mode" in container|machine) ;; *) echo "--mode is container or machine" >&2; exit 2 ;; esac
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
security="${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"

# --- the quick start's commands, exactly as written ------------------------------------------------
quick_start="$(awk '/^## Quick start/{on=1; next} /^## /{on=0} on' "$readme")"
[ -n "$quick_start" ] || { echo "$readme has no '## Quick start' section" >&2; exit 2; }
blocks="$(printf '%s\n' "$quick_start" | awk '/^```/{inb=!inb; if (!inb) print "\x1e"; next} inb')"
block_with() { printf '%s' "$blocks" | awk -v RS='\x1e' -v pat="$1" '$0 ~ pat {sub(/^\n+/, ""); sub(/\n+$/, ""); print; exit}'; }
venv_cmd="$(block_with '-m venv')"
demo_cmd="$(block_with 'kamplan demo')"
test_cmd="$(block_with 'pytest')"
apt_cmd="$(block_with 'apt-get')"
apt_first=0  # the apt line is a block before the venv block: a step of its own, run first
if [ -n "$apt_cmd" ] && [ "$(block_with 'apt-get|-m venv')" = "$apt_cmd" ]; then apt_first=1; fi
if [ -z "$apt_cmd" ]; then
    apt_cmd="$(printf '%s\n' "$quick_start" | tr '\n' ' ' | grep -o '`[^`]*apt-get install[^`]*`' | head -1 | tr -d '`')"
fi
for name in venv_cmd demo_cmd test_cmd apt_cmd; do
    [ -n "${!name}" ] || { echo "the quick start has no ${name%_cmd} command" >&2; exit 2; }
done
if [ "$full" = 0 ]; then
    # Only the pytest arguments change: the install part of the line runs as written.
    [[ "$test_cmd" == *"&& pytest" ]] || { echo "test line does not end in '&& pytest': $test_cmd" >&2; exit 2; }
    test_cmd="$test_cmd tests/test_readme.py tests/demo -q"
fi
if [ "$mode" = container ]; then apt_run="${apt_cmd//sudo /}"; else apt_run="$apt_cmd"; fi
if [ "$dry_run" = 1 ]; then
    printf 'apt_first=%s\nvenv=%s\napt=%s\ndemo=%s\ntest=%s\n' "$apt_first" "$venv_cmd" "$apt_run" "$demo_cmd" "$test_cmd"
    exit 0
fi
[ "$(id -u)" = 0 ] || { echo "run as root (it builds and enters a chroot)" >&2; exit 2; }
[ ! -e "$root" ] || { echo "$root exists: give a new --root (the check needs a fresh one)" >&2; exit 2; }

log="$root.log"
exec > >(tee "$log") 2>&1
echo "== fresh-debian-check: mode $mode, quick start from $readme ($(git -C "$repo" rev-parse --short HEAD))"
printf '   apt first: %s\n   venv: %s\n   apt:  %s\n   demo: %s\n   test: %s\n' "$apt_first" "$venv_cmd" "$apt_run" "$demo_cmd" "$test_cmd"

# --- a fresh Debian 12 root --------------------------------------------------------------------------
mounted=()
cleanup() {
    local i
    for ((i=${#mounted[@]}-1; i>=0; i--)); do umount -R "${mounted[i]}" 2>/dev/null || umount -l "${mounted[i]}" || true; done
    if [ "$keep" = 0 ]; then rm -rf --one-file-system "$root"; else echo "== kept $root ($(du -sh "$root" | cut -f1))"; fi
}
trap cleanup EXIT
suites=("deb $mirror bookworm main" "deb $mirror bookworm-updates main" "deb $security bookworm-security main")
echo "== building a minimal Debian 12 root in $root"
if command -v mmdebstrap >/dev/null; then
    mmdebstrap --quiet --variant=minbase bookworm "$root" "${suites[@]}"
else
    debootstrap --variant=minbase bookworm "$root" "$mirror" >/dev/null
    printf '%s\n' "${suites[@]}" > "$root/etc/apt/sources.list"
    rm -rf "$root"/var/lib/apt/lists/*_*  # a container image ships without package lists
fi
mount -t proc proc "$root/proc"; mounted+=("$root/proc")
mount -t sysfs sys "$root/sys"; mounted+=("$root/sys")
mount --rbind /dev "$root/dev"; mount --make-rslave "$root/dev"; mounted+=("$root/dev")
cp /etc/resolv.conf "$root/etc/resolv.conf"
# The network, not the README: where this machine reaches PyPI through a TLS-inspecting proxy, the
# newcomer's machine trusts the same certificates (as a company laptop would).
session_env=""
if [ -n "${PIP_CERT:-}" ] && [ -f "$PIP_CERT" ]; then
    mkdir -p "$root/etc/ssl"; cp "$PIP_CERT" "$root/etc/ssl/host-ca-bundle.crt"
    session_env="export PIP_CERT=/etc/ssl/host-ca-bundle.crt"
fi
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb LANG=C.UTF-8 "$@"; }

if [ "$mode" = machine ]; then
    echo "== machine: a user 'newcomer' who may use sudo"
    in_root apt-get -qq update
    in_root apt-get -qq install -y sudo >/dev/null
    in_root useradd -m -s /bin/bash newcomer
    echo 'newcomer ALL=(ALL) NOPASSWD:ALL' > "$root/etc/sudoers.d/newcomer"
    home=/home/newcomer
else
    home=/root
fi
echo "== a clean clone of $(git -C "$repo" rev-parse --abbrev-ref HEAD) into $home/kamplan (no venv, no build/)"
git clone --quiet --no-hardlinks "$repo" "$root$home/kamplan"
[ "$mode" = machine ] && in_root chown -R newcomer:newcomer "$home/kamplan"
in_root sh -c 'command -v python3 || echo "python3: not installed"; command -v sudo || echo "sudo: not installed"'

# --- the newcomer's terminal session: one shell, the README's lines in order -------------------------
step() {  # step NAME COMMAND: run and record the status; the session goes on, as a person's would
    printf '\n$ %s\n' "$2"
    local started=$SECONDS
    if [ "$1" = apt ]; then yes | bash -c "$2"; else eval "$2"; fi
    local rc=$?
    echo "== step $1: exit status $rc ($((SECONDS - started)) s)"
    return "$rc"
}
session="$(mktemp)"
{
    declare -f step
    echo "$session_env"
    printf 'cd %q\n' "$home/kamplan"
    printf 'venv_cmd=%q apt_cmd=%q demo_cmd=%q test_cmd=%q apt_first=%q\n' \
        "$venv_cmd" "$apt_run" "$demo_cmd" "$test_cmd" "$apt_first"
    cat <<'SESSION'
ok=1
if [ "$apt_first" = 1 ]; then
    step apt "$apt_cmd" || ok=0
    step venv "$venv_cmd" || ok=0
elif ! step venv "$venv_cmd"; then
    echo "== the venv line failed: the newcomer follows the README's apt hint and tries again"
    step apt "$apt_cmd"
    step venv-again "$venv_cmd" || ok=0
fi
echo "python: $(command -v python) ($(python --version 2>&1)), pip: $(pip --version 2>&1)"
step demo "$demo_cmd" || ok=0
step test "$test_cmd" || ok=0
[ "$ok" = 1 ] && echo "== the quick start works" || echo "== the quick start FAILED"
[ "$ok" = 1 ]
SESSION
} > "$root/tmp/newcomer-session.sh"
rm -f "$session"
chmod 755 "$root/tmp/newcomer-session.sh"
if [ "$mode" = machine ]; then
    set +e; in_root su - newcomer -c 'bash /tmp/newcomer-session.sh'; rc=$?; set -e
else
    set +e; in_root bash -c 'cd /root && bash /tmp/newcomer-session.sh'; rc=$?; set -e
fi
echo "== done: exit status $rc, log in $log, root size $(du -sh --one-file-system "$root" | cut -f1)"
exit $rc
