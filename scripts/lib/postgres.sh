# A throwaway PostgreSQL cluster for the tests and the load benchmark:
# initdb in a fresh temporary folder, listening on 127.0.0.1 only (and a
# socket in that folder), trust authentication for the one user `kim`, and
# durability switched off (it holds test data only). Run as an unprivileged
# user when the caller is root: PostgreSQL refuses to run as root.
# Sourced by scripts/test and bench/run, after scripts/lib/deps.sh.
#
#   kim_install_postgres_packages   installs Debian's postgresql if missing
#   kim_start_test_postgres [durable [PARENT]]
#                                   starts it; sets KIM_TEST_POSTGRES_URI
#                                   (postgresql://kim@127.0.0.1:PORT, no database).
#                                   `durable` keeps fsync and synchronous commit
#                                   on, as in production, for the benchmarks;
#                                   PARENT is where its folder goes (default /tmp)
#   kim_stop_test_postgres          stops it and removes the folder
# The caller sets a trap that calls kim_stop_test_postgres, so that the
# cluster also goes when a step fails.

KIM_POSTGRES_PACKAGES=(postgresql)

kim_install_postgres_packages() {
  # shellcheck disable=SC2046
  kim_apt_install "the PostgreSQL tests" $(kim_missing_debian_packages "${KIM_POSTGRES_PACKAGES[@]}")
}

# The newest installed server's programs (Debian keeps them off the PATH).
kim_postgres_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [[ -n "$dir" && -x "$dir/initdb" ]] || {
    echo "PostgreSQL's server programs are not installed (Debian package postgresql)" >&2
    return 1
  }
  echo "$dir"
}

# Runs a command as the cluster's owner.
kim_as_postgres_owner() {
  if [[ $(id -u) -eq 0 ]]; then
    # runuser is in /usr/sbin, which `su` without `-` leaves off the PATH.
    /usr/sbin/runuser -u "$KIM_TEST_POSTGRES_OWNER" -- "$@"
  else
    "$@"
  fi
}

kim_start_test_postgres() {
  local mode=${1:-fast} parent=${2:-/tmp} bin settings
  bin=$(kim_postgres_bin) || return 1
  settings="-c max_connections=300"
  # Test data only: no need to survive a power cut.
  [[ $mode == durable ]] || settings+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  mkdir -p "$parent"
  KIM_TEST_POSTGRES_DIR=$(mktemp -d "$parent/kim-postgres.XXXXXX")
  KIM_TEST_POSTGRES_OWNER=$(id -un)
  if [[ $(id -u) -eq 0 ]]; then
    # Debian's package makes the user `postgres`; any unprivileged user will do.
    if id postgres >/dev/null 2>&1; then KIM_TEST_POSTGRES_OWNER=postgres; else KIM_TEST_POSTGRES_OWNER=nobody; fi
    chown "$KIM_TEST_POSTGRES_OWNER" "$KIM_TEST_POSTGRES_DIR"
  fi
  chmod 700 "$KIM_TEST_POSTGRES_DIR"
  # The owner must reach the folder: every folder above it must let others through.
  if ! kim_as_postgres_owner test -w "$KIM_TEST_POSTGRES_DIR"; then
    echo "the PostgreSQL test cluster's folder $KIM_TEST_POSTGRES_DIR is out of reach of the user" \
      "$KIM_TEST_POSTGRES_OWNER (a folder above it is private); choose another parent folder" >&2
    rm -rf "$KIM_TEST_POSTGRES_DIR"
    return 1
  fi
  kim_as_postgres_owner "$bin/initdb" -D "$KIM_TEST_POSTGRES_DIR/data" -U kim --auth=trust \
    --encoding=UTF8 --locale=C.UTF-8 >"$KIM_TEST_POSTGRES_DIR/initdb.log" 2>&1 || {
    cat "$KIM_TEST_POSTGRES_DIR/initdb.log" >&2
    return 1
  }
  # A free port: try a few at random (another cluster may hold one).
  local port tries
  for tries in 1 2 3 4 5 6 7 8; do
    port=$((20000 + RANDOM % 30000))
    if kim_as_postgres_owner "$bin/pg_ctl" -D "$KIM_TEST_POSTGRES_DIR/data" -l "$KIM_TEST_POSTGRES_DIR/server.log" \
      -w -t 60 start -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$KIM_TEST_POSTGRES_DIR \
        $settings" >/dev/null; then
      KIM_TEST_POSTGRES_URI="postgresql://kim@127.0.0.1:$port"
      export KIM_TEST_POSTGRES_URI
      echo "==> PostgreSQL test cluster ($mode) on 127.0.0.1:$port ($KIM_TEST_POSTGRES_DIR)"
      return 0
    fi
  done
  echo "could not start the PostgreSQL test cluster; its log:" >&2
  cat "$KIM_TEST_POSTGRES_DIR/server.log" >&2
  return 1
}

kim_stop_test_postgres() {
  [[ -n "${KIM_TEST_POSTGRES_DIR:-}" && -d "$KIM_TEST_POSTGRES_DIR" ]] || return 0
  local bin
  if bin=$(kim_postgres_bin) && [[ -f "$KIM_TEST_POSTGRES_DIR/data/postmaster.pid" ]]; then
    if ! kim_as_postgres_owner "$bin/pg_ctl" -D "$KIM_TEST_POSTGRES_DIR/data" -m immediate -w stop >/dev/null 2>&1; then
      # Not under a running postmaster: its folder goes only once it is gone.
      kill -KILL "$(head -n 1 "$KIM_TEST_POSTGRES_DIR/data/postmaster.pid")" 2>/dev/null || true
      sleep 1
    fi
  fi
  rm -rf "$KIM_TEST_POSTGRES_DIR"
  KIM_TEST_POSTGRES_DIR=
}
