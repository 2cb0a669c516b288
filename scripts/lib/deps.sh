# Installs the Debian 12 packages kimsync needs, if any is missing.
# Sourced by scripts/demo, scripts/test and bench/run; needs root (or sudo)
# only when something must be installed.

KIM_DEBIAN_PACKAGES=(
  g++ cmake ninja-build pkg-config
  libsodium-dev libsqlite3-dev libpq-dev nlohmann-json3-dev libcli11-dev libboost-dev libssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
)

# What the full test run adds (scripts/test without --quick): clang 14 with
# its sanitizer and libFuzzer runtimes (libclang-rt-14-dev) for the
# ASan + UBSan build and the fuzz targets.
KIM_SANITIZER_PACKAGES=(clang-14 libclang-rt-14-dev)

# Prints those of the named Debian packages that are not installed.
kim_missing_debian_packages() {
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"
  done
}

# kim_apt_install WHAT PACKAGE...: installs them with apt-get, as root or through sudo.
kim_apt_install() {
  local what=$1
  shift
  (($# > 0)) || return 0
  echo "==> installing Debian packages${what:+ for $what}: $*"
  local sudo=()
  if [[ $(id -u) -ne 0 ]]; then sudo=(sudo); fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

kim_install_missing_packages() {
  # shellcheck disable=SC2046 # one package name per word
  kim_apt_install "" $(kim_missing_debian_packages "${KIM_DEBIAN_PACKAGES[@]}")
}

kim_install_sanitizer_packages() {
  # shellcheck disable=SC2046
  kim_apt_install "the sanitizer builds" $(kim_missing_debian_packages "${KIM_SANITIZER_PACKAGES[@]}")
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
  kim_apt_install "the browser test" "${missing[@]}"
}
