#!/bin/sh
# Install llmbench: download this machine's binary from a release, check it against the release's
# SHA256SUMS, check that it runs, then put it in a folder on PATH.
#
#   curl -fsSL https://github.com/OWNER/REPO/releases/latest/download/install.sh | sh
#   curl -fsSL …/install.sh | sh -s -- --dir ~/bin --version v0.1.0
#   sh install.sh --base-url http://mirror.example/llmbench/v0.1.0     # a folder holding a release
#
# `sh install.sh --help` lists the options, the folder rule and the exit codes.
set -eu

# the GitHub repository (owner/name) whose releases are downloaded; `npm run release` writes the
# real one in when GitHub Actions builds the release
REPO_DEFAULT="llmbench/llmbench"

usage() {
  cat <<'EOF'
Install llmbench: this machine's binary from a release, checked against the release's SHA256SUMS.

  sh install.sh [--dir DIR] [--version TAG] [--base-url URL] [--target NAME] [--dry-run]

Options (each also read from an environment variable):
  --dir DIR        LLMBENCH_INSTALL_DIR  where llmbench goes; default /usr/local/bin as root,
                                         ~/.local/bin for everyone else
  --version TAG    LLMBENCH_VERSION      a release tag such as v0.1.0; default the latest release
  --base-url URL   LLMBENCH_BASE_URL     download URL/<file> and URL/SHA256SUMS instead of the
                                         project's GitHub releases (a mirror, a local server)
  --target NAME    LLMBENCH_TARGET       skip detection: linux-x64, linux-arm64, linux-x64-musl,
                                         linux-arm64-musl, darwin-x64, darwin-arm64, windows-x64
  --dry-run                              print what would be downloaded and where it would go

Exit codes: 0 installed; 1 a download failed, the checksum did not match or is missing, the file
does not run here, or the folder is not writable (nothing is installed then); 2 a bad option, or
no release file for this machine.
EOF
}

say() { printf '%s\n' "$*" >&2; }
fail() { # fail CODE MESSAGE [FIX]
  code=$1
  shift
  say "llmbench install: error: $1"
  if [ $# -gt 1 ]; then say "  fix: $2"; fi
  exit "$code"
}

dir="${LLMBENCH_INSTALL_DIR:-}"
version="${LLMBENCH_VERSION:-}"
base="${LLMBENCH_BASE_URL:-}"
target="${LLMBENCH_TARGET:-}"
dry=0
while [ $# -gt 0 ]; do
  case "$1" in
    --dir | --version | --base-url | --target)
      [ $# -ge 2 ] || fail 2 "$1 needs a value" "sh install.sh --help"
      case "$1" in
        --dir) dir=$2 ;;
        --version) version=$2 ;;
        --base-url) base=$2 ;;
        --target) target=$2 ;;
      esac
      shift 2
      ;;
    --dry-run) dry=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) fail 2 "unknown option '$1'" "options: --dir, --version, --base-url, --target, --dry-run (sh install.sh --help)" ;;
  esac
done

# --- which file: OS and CPU from uname, musl libc from the loader (Alpine and the like) ---
detect() {
  os=$(uname -s)
  cpu=$(uname -m)
  case "$os" in
    Linux) os=linux ;;
    Darwin) os=darwin ;;
    MINGW* | MSYS* | CYGWIN* | Windows_NT) os=windows ;;
    *) fail 2 "no llmbench release for the OS '$os'" "releases exist for Linux, macOS and Windows; elsewhere build from source (npm run build)" ;;
  esac
  case "$cpu" in
    x86_64 | amd64) cpu=x64 ;;
    aarch64 | arm64) cpu=arm64 ;;
    *) fail 2 "no llmbench release for the CPU '$cpu' ($os)" "releases exist for x64 and arm64; elsewhere build from source (npm run build)" ;;
  esac
  # an x64 shell on an Apple Silicon Mac (Rosetta 2): the arm64 binary runs natively
  if [ "$os" = darwin ] && [ "$cpu" = x64 ] && [ "$(sysctl -n sysctl.proc_translated 2>/dev/null || true)" = 1 ]; then
    cpu=arm64
  fi
  if [ "$os" = windows ] && [ "$cpu" = arm64 ]; then
    fail 2 "no llmbench release for Windows on arm64" "use the windows-x64 file (x64 emulation): --target windows-x64"
  fi
  libc=
  if [ "$os" = linux ]; then
    if ls /lib/ld-musl-* >/dev/null 2>&1 || { ldd --version 2>&1 || true; } | grep -qi musl; then
      libc=-musl
    fi
  fi
  echo "$os-$cpu$libc"
}

if [ -z "$target" ]; then
  target=$(detect)
fi
case "$target" in
  linux-x64 | linux-arm64 | linux-x64-musl | linux-arm64-musl | darwin-x64 | darwin-arm64) file="llmbench-$target"; name=llmbench ;;
  windows-x64) file="llmbench-$target.exe"; name=llmbench.exe ;;
  *) fail 2 "unknown target '$target'" "one of linux-x64, linux-arm64, linux-x64-musl, linux-arm64-musl, darwin-x64, darwin-arm64, windows-x64" ;;
esac

# --- from where ---
if [ -z "$base" ]; then
  repo="${LLMBENCH_REPO:-$REPO_DEFAULT}"
  if [ -n "$version" ]; then
    base="https://github.com/$repo/releases/download/$version"
  else
    base="https://github.com/$repo/releases/latest/download"
  fi
fi
base=${base%/}

# --- to where: the rule is /usr/local/bin for root, ~/.local/bin for everyone else ---
if [ -z "$dir" ]; then
  if [ "$(id -u)" = 0 ]; then dir=/usr/local/bin; else dir="${HOME:?HOME is not set: give --dir}/.local/bin"; fi
fi

if [ "$dry" = 1 ]; then
  echo "target:   $target"
  echo "download: $base/$file"
  if command -v gzip >/dev/null 2>&1; then echo "          (or $file.gz, half the size, where SHA256SUMS lists it)"; fi
  echo "checksum: $base/SHA256SUMS"
  echo "install:  $dir/$name"
  exit 0
fi

# --- tools ---
if command -v curl >/dev/null 2>&1; then
  progress=-sS
  if [ -t 2 ]; then progress=--progress-bar; fi
  fetch() { curl -fL --retry 2 "$progress" -o "$2" "$1"; }
elif command -v wget >/dev/null 2>&1; then
  fetch() { wget -q -O "$2" "$1"; }
else
  fail 1 "neither curl nor wget is installed" "install one of them (apt-get install curl, apk add curl)"
fi
if command -v sha256sum >/dev/null 2>&1; then
  sha256() { sha256sum "$1" | cut -d' ' -f1; }
elif command -v shasum >/dev/null 2>&1; then
  sha256() { shasum -a 256 "$1" | cut -d' ' -f1; }
else
  fail 1 "cannot check the download: neither sha256sum nor shasum is installed" "install coreutils (sha256sum) or perl (shasum)"
fi

tmp=$(mktemp -d 2>/dev/null || mktemp -d -t llmbench)
partial=
cleanup() {
  rm -rf "$tmp"
  if [ -n "$partial" ]; then rm -f "$partial"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fetch "$base/SHA256SUMS" "$tmp/SHA256SUMS" || fail 1 "could not download $base/SHA256SUMS" "check the version (--version) or the base URL (--base-url); nothing was installed"
listed() { awk -v f="$1" '$2 == f || $2 == "*" f { print $1; exit }' "$tmp/SHA256SUMS"; }
# every file is checked against its line in SHA256SUMS before it is used
verify() {
  expected=$(listed "$1")
  [ -n "$expected" ] || fail 1 "$base/SHA256SUMS lists no checksum for $1; nothing was installed" "the release is incomplete: try another version (--version)"
  actual=$(sha256 "$tmp/$1")
  if [ "$actual" != "$expected" ]; then
    fail 1 "checksum mismatch for $1: expected $expected, got $actual; nothing was installed" "download again; if it happens again, the file on the server is not the one released: report it"
  fi
}

# the compressed file (about half the size) where the release has it and gzip is here
get=$file
if command -v gzip >/dev/null 2>&1 && [ -n "$(listed "$file.gz")" ]; then get="$file.gz"; fi
say "downloading $base/$get"
fetch "$base/$get" "$tmp/$get" || fail 1 "could not download $base/$get" "check the version (--version) or the base URL (--base-url); nothing was installed"
verify "$get"
if [ "$get" != "$file" ]; then
  gzip -dc "$tmp/$get" >"$tmp/$file" || fail 1 "$get did not decompress; nothing was installed" "download again"
  verify "$file"
fi

# --- then that it runs on this machine ---
chmod 755 "$tmp/$file"
if ! line=$("$tmp/$file" --version 2>&1); then
  fail 1 "$file does not run on this machine: $line; nothing was installed" "pick another build with --target (linux-x64-musl on Alpine, linux-x64 on glibc)"
fi

# --- install: copy next to the destination, then rename over it (a running llmbench is not disturbed) ---
mkdir -p "$dir" 2>/dev/null || fail 1 "cannot create $dir" "choose a folder you can write: --dir ~/.local/bin (or run as root)"
partial="$dir/.$name.install.$$"
cp "$tmp/$file" "$partial" 2>/dev/null || fail 1 "cannot write to $dir" "choose a folder you can write: --dir ~/.local/bin (or run as root)"
chmod 755 "$partial"
mv -f "$partial" "$dir/$name"
partial=
say "installed $line to $dir/$name"
case ":${PATH:-}:" in
  *":$dir:"*) ;;
  *) say "note: $dir is not on your PATH; add it, e.g. in ~/.profile: export PATH=\"$dir:\$PATH\"" ;;
esac
say "first benchmark: $name serve & $name warm && $name run"
