# Installs the Debian 12 packages kimsync needs, if any is missing.
# Sourced by scripts/demo and scripts/test; needs root (or sudo) only when
# something must be installed.

KIM_DEBIAN_PACKAGES=(
  g++ cmake ninja-build pkg-config
  libsodium-dev libsqlite3-dev nlohmann-json3-dev libcli11-dev libboost-dev libssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
)

kim_install_missing_packages() {
  local missing=()
  for p in "${KIM_DEBIAN_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]} == 0)); then return 0; fi
  echo "==> installing Debian packages: ${missing[*]}"
  local sudo=()
  if [[ $(id -u) -ne 0 ]]; then sudo=(sudo); fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
}
