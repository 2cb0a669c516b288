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

# What the browser test of the dashboard (tests/browser, ctest label browser)
# needs: Debian's Chromium (never a browser downloaded by a test tool), and
# Node.js with npm for playwright-core. Node.js counts as present when `node`
# and `npm` run, whichever package brought them (a Node.js from elsewhere
# ships its own npm, which Debian's npm package would conflict with).
kim_install_browser_test_packages() {
  local missing=()
  [[ -x /usr/bin/chromium ]] || missing+=(chromium)
  command -v node >/dev/null 2>&1 || missing+=(nodejs)
  command -v npm >/dev/null 2>&1 || missing+=(npm)
  if ((${#missing[@]} == 0)); then return 0; fi
  echo "==> installing Debian packages for the browser test: ${missing[*]}"
  local sudo=()
  if [[ $(id -u) -ne 0 ]]; then sudo=(sudo); fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
