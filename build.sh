#!/usr/bin/env bash
# ReplicaRouting's one entry point. On a fresh Debian machine with only the .NET SDK:
#   ./build.sh demo      start the local MariaDB and MySQL topologies if needed and run the demo
#   ./build.sh test      start them if needed and run every test project (unit + integration, per flavor)
#   ./build.sh bench [--quick] [--flavor mariadb|mysql]   benchmarks (hot path, then paired end to end); never part of test
#   ./build.sh check [--ops N] [--flavor mariadb|mysql] [--faults lag,kill-replica,failover] [--modes m1,m2] [--users N]
#                        the consistency checker on the failover set (RESULT lines; exits 1 if a mode broke its promise)
#   ./build.sh servers start|stop|reset|status [mariadb|mysql]   manage the local topologies
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

SERVERS=scripts/servers/servers.sh
CONFIGURATION=${CONFIGURATION:-Release}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# Brings up MariaDB (required) and MySQL (optional: a failed fetch from Debian sid is reported loudly, and
# the run goes on with MariaDB only), then exports RR_FLAVORS and the topology variables for the tests.
start_servers() {
  bash "$SERVERS" start mariadb
  if ! bash "$SERVERS" start mysql; then
    cat >&2 <<'MSG'

================================================================================
==  WARNING: the MySQL 9.7 topology could not be started (see the reason above).
==  This run tests MariaDB ONLY. MySQL results are MISSING, not passed.
================================================================================

MSG
  fi
  eval "$(bash "$SERVERS" env)"
  start_group_replication
  start_galera
  echo "Topologies up: ${RR_FLAVORS}${RR_GR_FLAVORS:+; Group Replication: mysql-gr}${RR_GALERA_FLAVORS:+; Galera: mariadb-galera}" >&2
}

# --- MySQL Group Replication (issue 15): the gr set, its own flavor value "mysql-gr" in test filters and summary.
start_group_replication() {
  if ! RR_SERVERS_SET=gr bash "$SERVERS" start mysql; then
    cat >&2 <<'MSG'

================================================================================
==  WARNING: the MySQL Group Replication set could not be started (see above).
==  This run has NO Group Replication results: they are MISSING, not passed.
================================================================================

MSG
  fi
  eval "$(RR_SERVERS_SET=gr bash "$SERVERS" env 2>/dev/null)" || true
}
# --- end of Group Replication

# --- MariaDB Galera (issue 15): the galera set; its tests (MariaDbGalera*Tests) FAIL when it is not up.
start_galera() {
  if ! RR_SERVERS_SET=galera bash "$SERVERS" start mariadb; then
    cat >&2 <<'MSG'

================================================================================
==  WARNING: the MariaDB Galera cluster could not be started (see above).
==  Its tests (MariaDbGalera*Tests) will FAIL: Galera results are MISSING, not passed.
================================================================================

MSG
  fi
  eval "$(RR_SERVERS_SET=galera bash "$SERVERS" env 2>/dev/null)" || true
}
# --- end of Galera

# The end-to-end test drives the sample in a real headless browser: Debian's chromium (Playwright's own browser
# download is not reachable here, so the test points Playwright at this one).
ensure_chromium() {
  command -v chromium >/dev/null && return
  echo "Installing Debian's chromium for the browser test..." >&2
  apt-get install -y -qq chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }
}

run_tests() {
  ensure_chromium
  start_servers
  dotnet build ReplicaRouting.sln -c "$CONFIGURATION" -warnaserror

  # Only the flavors that are up: a flavor that is down is announced above, never silently skipped.
  local filter="" flavor
  for flavor in mariadb mysql; do
    [[ ",${RR_FLAVORS}," == *",${flavor},"* ]] || filter+="${filter:+&}Flavor!=${flavor}"
  done
  [[ -n ${RR_GR_FLAVORS:-} ]] || filter+="${filter:+&}Flavor!=mysql-gr"   # Group Replication

  local results; results=$(mktemp -d)
  local status=0
  dotnet test ReplicaRouting.sln -c "$CONFIGURATION" --no-build ${filter:+--filter "$filter"} \
    --logger "trx" --results-directory "$results" --logger "console;verbosity=minimal" || status=$?

  summarize "$results"
  rm -rf "$results"
  return "$status"
}

# Per-flavor counts from the TRX files: the integration suites are ReplicaRouting.IntegrationTests.<Flavor><Suite>Tests.
summarize() {
  local passed failed flavor trx
  trx=$(cat "$1"/*.trx)
  count() { grep -oE "<UnitTestResult [^>]*testName=\"$1[^>]*outcome=\"$2\"" <<<"$trx" | wc -l || true; }
  echo
  echo "Integration tests by flavor:"
  for flavor in MariaDb MySql; do
    if [[ ",${RR_FLAVORS}," != *",${flavor,,},"* ]]; then
      printf '  %-8s NOT RUN: its servers are not up (see the warning above)\n' "$flavor"
      continue
    fi
    passed=$(count "ReplicaRouting\.IntegrationTests\.([A-Za-z]+\.)?${flavor}[A-Za-z]*Tests\." Passed)
    failed=$(count "ReplicaRouting\.IntegrationTests\.([A-Za-z]+\.)?${flavor}[A-Za-z]*Tests\." Failed)
    printf '  %-8s %4d passed, %d failed\n' "$flavor" "$passed" "$failed"
  done
  # Group Replication (its classes count in the MySql line above too: MySqlGroupReplication...Tests)
  if [[ -z ${RR_GR_FLAVORS:-} ]]; then
    printf '  %-8s NOT RUN: its servers are not up (see the warning above)\n' "MySQL-GR"
  else
    printf '  %-8s %4d passed, %d failed\n' "MySQL-GR" \
      "$(count 'ReplicaRouting\.IntegrationTests\.([A-Za-z]+\.)?MySqlGroupReplication[A-Za-z]*Tests\.' Passed)" \
      "$(count 'ReplicaRouting\.IntegrationTests\.([A-Za-z]+\.)?MySqlGroupReplication[A-Za-z]*Tests\.' Failed)"
  fi
  # Galera (its classes count in the MariaDb line above too: MariaDbGalera...Tests)
  local galera='ReplicaRouting\.IntegrationTests\.([A-Za-z]+\.)?MariaDbGalera[A-Za-z]*Tests\.' note=""
  [[ -n ${RR_GALERA_FLAVORS:-} ]] || note="  (the cluster was NOT up: its tests fail, see the warning above)"
  printf '  %-8s %4d passed, %d failed%s\n' "Galera" "$(count "$galera" Passed)" "$(count "$galera" Failed)" "$note"
  echo "tests: $(count "" Passed) passed, $(count "" Failed) failed"
}

run_demo() {
  start_servers
  dotnet run --project samples/RoutingDemo -c "$CONFIGURATION" -- "$@"
}

# Benchmarks (docs/performance.md). stdout carries only the BENCH lines; the build and progress go to stderr.
run_bench() {
  local flavor=mariadb arg previous=""
  for arg in "$@"; do
    [[ "$previous" == "--flavor" ]] && flavor=$arg
    previous=$arg
  done
  bash "$SERVERS" start "$flavor" >&2
  eval "$(bash "$SERVERS" env)"
  dotnet build tests/ReplicaRouting.Benchmarks -c Release -warnaserror -nologo -v quiet >&2
  dotnet tests/ReplicaRouting.Benchmarks/bin/Release/net10.0/ReplicaRouting.Benchmarks.dll --flavor "$flavor" "$@"
}

# The consistency checker (docs/consistency.md, "The checker"). It brings up, faults and rebuilds the FAILOVER set itself
# (never the shared one); stdout carries only the RESULT lines, the build and progress go to stderr.
run_check() {
  dotnet build samples/ConsistencyChecker -c Release -warnaserror -nologo -v quiet >&2
  dotnet samples/ConsistencyChecker/bin/Release/net10.0/ConsistencyChecker.dll "$@"
}

case "${1:-}" in
  test) shift; run_tests "$@" ;;
  demo) shift; run_demo "$@" ;;
  bench) shift; run_bench "$@" ;;
  check) shift; run_check "$@" ;;
  servers) shift; exec bash "$SERVERS" "$@" ;;
  *)
    echo "usage: ./build.sh demo | test | bench [--quick] [--flavor mariadb|mysql]" \
      "| check [--ops N] [--flavor mariadb|mysql] [--faults lag,kill-replica,failover] [--modes m1,m2] [--users N]" \
      "| servers start|stop|reset|status [mariadb|mysql]" >&2
    exit 2
    ;;
esac
