# Sourced by tools/test, tools/demo and tools/fuzz: installs the Debian 12 packages the
# build needs, and only those that are missing. Nothing else is downloaded.

SR_PACKAGES=(
  g++ pkg-config meson ninja-build python3
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev libboost-program-options1.81-dev
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
  libssl-dev openssl libfmt-dev zlib1g-dev libsqlite3-dev catch2
)

# Extra package names (e.g. tools/fuzz's clang) may be given as arguments.
sr_missing_packages() {
  local pkg
  for pkg in "${SR_PACKAGES[@]}" "$@"; do
    dpkg-query -W -f='${Status}\n' "$pkg" 2>/dev/null | grep -q '^install ok installed$' \
      || printf '%s\n' "$pkg"
  done
}

sr_install_deps() {
  local missing
  mapfile -t missing < <(sr_missing_packages "$@")
  ((${#missing[@]} == 0)) && return 0
  echo "installing missing packages: ${missing[*]}"
  local sudo=()
  if ((EUID != 0)); then
    command -v sudo >/dev/null || { echo "error: need root (or sudo) to install: ${missing[*]}" >&2; return 1; }
    sudo=(sudo)
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# meson setup, or reconfigure when the directory already holds a build.
sr_setup() {
  local dir=$1; shift
  if [[ -f "$dir/build.ninja" ]]; then
    meson setup --reconfigure "$dir" "$@" >/dev/null
  else
    meson setup "$dir" "$@"
  fi
}
