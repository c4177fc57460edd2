#!/usr/bin/env bash
# Local replication topologies for ReplicaRouting's integration tests.
#
#   mariadb  MariaDB 10.11 (Debian bookworm package)       primary 127.0.0.1:3311, replicas 3312, 3313
#   mysql    MySQL 9.7 (Debian sid package, private root)  primary 127.0.0.1:3321, replicas 3322, 3323
#
# Usage: servers.sh start|stop|reset|status|env [mariadb|mysql ...]   (no flavor = both)
#
#   start   bring the topology up and verify it is healthy; reuses running servers, restarts stopped
#           ones, rebuilds a flavor from scratch when anything is off (broken/promoted replica, ...).
#           Exit status is non-zero if any requested flavor could not be brought up (reason on stderr).
#   stop    clean shutdown of the servers (waits for them to exit).
#   reset   stop, wipe the datadirs, start from scratch.
#   status  one line per node: port, pid, role, read_only, replication threads, GTID position.
#   env     `export` lines for the test runner: eval "$(scripts/servers/servers.sh env)".
#
# State lives outside the repository (so every clone shares the same servers):
#   ${RR_SERVERS_HOME:-$HOME/.cache/replicarouting}/{mariadb,mysql}/n1..n3   datadirs, sockets, logs
#   ${RR_SERVERS_HOME:-$HOME/.cache/replicarouting}/mysql-sid/root           unpacked MySQL 9.7 (cached)
# Environment knobs: RR_SERVERS_HOME (state dir), RR_DEBIAN_MIRROR (override the mirror taken from apt sources).

set -u -o pipefail
# Why: a stray CDPATH or a caller's umask must not change where/how we create files.
unset CDPATH
umask 022

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# (HOME can be unset under some CI runners / sudo -H variants: fall back to the passwd entry.)
RR_HOME=${RR_SERVERS_HOME:-${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}/.cache/replicarouting}

# Names and credentials shared with the tests (printed by `env`).
APP_USER=rr_app;     APP_PW=rr_app_pw
ADMIN_USER=rr_admin; ADMIN_PW=rr_admin_pw
REPL_USER=rr_repl;   REPL_PW=rr_repl_pw
DB=rr_test
HEALTH_DB=rr_health          # the start-up probe writes here, never into the tests' databases
ALL_FLAVORS=(mariadb mysql)
NODES=(1 2 3)                # node 1 is the primary, 2 and 3 its replicas
# Bump when the way a datadir is initialised changes: older datadirs are then rebuilt, not reused.
LAYOUT_VERSION=2

# Privileges of the application user on rr_test and rr\_test\_% (no global write-ish privileges,
# so a write on a read_only replica fails with 1290). REFERENCES is extra: foreign keys need it.
APP_DB_PRIVS="SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, INDEX, ALTER, REFERENCES, CREATE TEMPORARY TABLES,
  LOCK TABLES, EXECUTE, CREATE ROUTINE, ALTER ROUTINE, CREATE VIEW, SHOW VIEW, TRIGGER"

# ---------------------------------------------------------------------------------------------- output

log()  { printf '[servers %s] %s\n' "$(date +%T)" "$*" >&2; }
now()  { echo "${EPOCHREALTIME/./}"; }                       # microseconds
since() { local d=$(( $(now) - $1 )); printf '%d.%01d s' $((d / 1000000)) $((d % 1000000 / 100000)); }

# A loud, multi-line failure report on stderr: build.sh relies on it to explain a missing flavor.
banner() {
  local title=$1; shift
  local bar='################################################################################'
  {
    echo; echo "$bar"; echo "##  servers.sh: $title"; echo "##"
    local l; for l in "$@"; do printf '##  %s\n' "$l"; done
    echo "$bar"; echo
  } >&2
}

# Last lines of a log file, indented, for failure reports.
tail_of() { [[ -f $1 ]] && tail -n "${2:-15}" "$1" | sed 's/^/      | /' || echo "      (no $1)"; }

# ---------------------------------------------------------------------------------------------- flavor context
# use_flavor sets the per-flavor globals; the flavor files provide <flavor>_* hooks:
#   _ensure_binaries  install/fetch server + client if missing (on failure: REASON), then as below
#   _have_binaries    no installing: set CLIENT (array), HAVE_CLIENT=1 and the SQL snippets
#                     (REPL_STATUS_SQL, NODE_FACTS_SQL, PRIMARY_POS_SQL, F_* status column names)
#   _init_datadir N   create an empty datadir for node N (runs in parallel for the 3 nodes)
#   _server_args N    fill SARGS with the full server command line of node N
#   _users_sql N      SQL creating the users on node N (binlog off)
#   _wire_sql N       SQL pointing replica N at the primary and starting replication
#   _wait_sql POS S   SQL waiting up to S seconds on a replica for the primary's GTID position POS

# shellcheck source=flavor-mariadb.sh
source "$HERE/flavor-mariadb.sh"
# shellcheck source=flavor-mysql.sh
source "$HERE/flavor-mysql.sh"

use_flavor() {
  F=$1
  HAVE_CLIENT=0           # set to 1 by <flavor>_have_binaries once CLIENT is usable
  FDIR=$RR_HOME/$F
  case $F in
    mariadb) BASEPORT=3310 ;;
    mysql)   BASEPORT=3320 ;;
  esac
}

port_of()  { echo $((BASEPORT + $1)); }
ndir()     { echo "$FDIR/n$1"; }
ndata()    { echo "$FDIR/n$1/data"; }
nsock()    { echo "$FDIR/n$1/server.sock"; }
npidfile() { echo "$FDIR/n$1/server.pid"; }
nerrlog()  { echo "$FDIR/n$1/error.log"; }
role_of()  { if [[ $1 == 1 ]]; then echo primary; else echo replica; fi; }

# ---------------------------------------------------------------------------------------------- processes

# Prints the pid of node $1's server if it runs. The pid file alone is not trusted (a killed session
# leaves it behind and the pid may be reused): the process must have been started on this datadir.
node_pid() {
  local n=$1 d pid
  d=$(ndata "$n")
  if [[ -r $(npidfile "$n") ]] && read -r pid < "$(npidfile "$n")" 2>/dev/null \
     && [[ $pid =~ ^[0-9]+$ ]] && grep -qzxF -- "--datadir=$d" "/proc/$pid/cmdline" 2>/dev/null; then
    echo "$pid"; return 0
  fi
  # No usable pid file (not written yet, or deleted): search the process table for our datadir.
  # The "[-]" makes the pattern not match grep's own command line.
  local re hit
  re="[-]-datadir=$(printf '%s' "$d" | sed 's/[][\.*^$]/\\&/g')"
  hit=$(grep -lzx -- "$re" /proc/[0-9]*/cmdline 2>/dev/null | head -n1) || true
  [[ -n $hit ]] || return 1
  pid=${hit#/proc/}; pid=${pid%/cmdline}
  [[ $pid != "$$" && $pid != "$BASHPID" ]] || return 1
  echo "$pid"
}

# Is something listening on 127.0.0.1:$1? (bash's /dev/tcp: no extra tool needed)
port_open() { timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

port_owner() { command -v ss >/dev/null && ss -ltnpH "sport = :$1" 2>/dev/null | sed 's/.*users://' | head -n1; }

# Launches node $1 in the background, detached: own session (a Ctrl-C of the caller or the end of
# a CI step's shell does not kill it) and no inherited descriptors: stdin/stdout/stderr go to a
# log (a caller capturing our output must not wait for the server), and every other fd is closed
# (our lock fd 9 would otherwise stay locked forever, a CI runner's pipe would never see EOF).
launch_node() {
  local n=$1
  # Stale files from a killed session: MySQL refuses to start if the socket lock names a live pid.
  rm -f "$(nsock "$n")" "$(nsock "$n").lock" "$(npidfile "$n")"
  "${F}_server_args" "$n"
  mkdir -p "$(ndir "$n")/tmp"
  # secure_file_priv dir: private (MySQL warns about a world-readable one).
  install -d -m 700 "$(ndir "$n")/files"
  (
    local fd
    for fd in "/proc/$BASHPID/fd/"*; do
      fd=${fd##*/}
      (( fd > 2 )) && eval "exec $fd>&-" 2>/dev/null
    done
    exec setsid "${SARGS[@]}" </dev/null >>"$(ndir "$n")/stdout.log" 2>&1
  ) &
  disown 2>/dev/null || true
}

# Waits (bounded, $2 seconds) until node $1 answers on its socket. Returns 0 when it answers,
# 2 when its process is (or has become) absent, 1 on timeout. Shows the error log tail on failure
# unless $3 = quiet (used for a server that may just be shutting down).
wait_node_up() {
  local n=$1 limit=${2:-60} quiet=${3:-} t0=$SECONDS was_running=0
  while (( SECONDS - t0 < limit )); do
    if sql_root "$n" "SELECT 1" >/dev/null 2>&1; then return 0; fi
    if node_pid "$n" >/dev/null; then was_running=1
    elif (( was_running || SECONDS - t0 >= 3 )); then
      if [[ -z $quiet ]]; then
        log "$F node $n (port $(port_of "$n")) exited during start-up; error log:"
        tail_of "$(nerrlog "$n")" 25 >&2; tail_of "$(ndir "$n")/stdout.log" 5 >&2
      fi
      return 2
    fi
    sleep 0.1
  done
  if [[ -z $quiet ]]; then
    log "$F node $n (port $(port_of "$n")) did not answer within ${limit}s; error log:"
    tail_of "$(nerrlog "$n")" 25 >&2
  fi
  return 1
}

# Alive and not a zombie: our servers are re-parented to PID 1, which may reap them only later.
alive() { [[ -e /proc/$1 ]] && ! grep -q '^[0-9]* ([^)]*) Z' "/proc/$1/stat" 2>/dev/null; }

kill_dump_threads() {
  local id ids
  ids=$(sql_root 1 "SELECT id FROM information_schema.processlist WHERE command LIKE 'Binlog Dump%'" 2>/dev/null) || return 0
  for id in $ids; do sql_root 1 "KILL $id" >/dev/null 2>&1; done
}

# Clean shutdown (SIGTERM = normal shutdown for mariadbd/mysqld), replicas first: a primary waits
# for its binlog dump threads to go away before it shuts down. SIGKILL only after 90 s.
stop_nodes() {
  local group n pid pids count=0
  for group in "2 3" "1"; do
    pids=()
    for n in $group; do
      pid=$(node_pid "$n") || continue
      # A primary's binlog dump threads notice that their (already stopped) replica is gone only at
      # the next heartbeat; shutdown would wait ~2 s for them. End them now.
      (( HAVE_CLIENT )) && [[ $n == 1 ]] && kill_dump_threads
      kill -TERM "$pid" 2>/dev/null && pids+=("$n:$pid")
    done
    local t0=$SECONDS item
    for item in "${pids[@]}"; do
      n=${item%%:*}; pid=${item#*:}
      while alive "$pid" && (( SECONDS - t0 < 90 )); do sleep 0.05; done
      if alive "$pid"; then
        log "$F node $n (pid $pid) ignored SIGTERM for 90 s: killing it"
        kill -KILL "$pid" 2>/dev/null; sleep 0.5
      fi
      rm -f "$(nsock "$n")" "$(nsock "$n").lock"
      count=$((count + 1))
    done
  done
  (( count == 0 )) || log "$F: stopped $count server(s)"
}

# ---------------------------------------------------------------------------------------------- SQL helpers

# Runs SQL on node $1 as root over the unix socket (root is socket-auth / password-less there).
# Output: tab-separated rows, no header. `timeout` bounds any statement that could hang.
sql_root() {
  timeout 60 "${CLIENT[@]}" --protocol=SOCKET --socket="$(nsock "$1")" --user=root \
    --connect-timeout=5 --batch --skip-column-names -e "$2"
}

# Runs SQL on node $3 as user $1/password $2 over TCP (what the tests do). stderr is merged so that
# callers can see "ERROR 1290"; the client's password-on-command-line warning is dropped.
sql_tcp() {
  timeout 60 "${CLIENT[@]}" --protocol=TCP --host=127.0.0.1 --port="$(port_of "$3")" --user="$1" \
    --password="$2" --connect-timeout=5 --batch --skip-column-names -e "$4" 2>&1 \
    | grep -v 'Using a password on the command line'
}

# Runs a SHOW statement on node $1 and fills the associative array KV with column -> value.
declare -A KV
sql_kv() {
  KV=()
  local k v out
  out=$(timeout 60 "${CLIENT[@]}" --protocol=SOCKET --socket="$(nsock "$1")" --user=root \
        --connect-timeout=5 --batch -e "$2") || return 1
  while IFS=$'\t' read -r k v; do KV[$k]=$v; done < <(printf '%s\n' "$out" | awk -F'\t' '
    NR == 1 { for (i = 1; i <= NF; i++) h[i] = $i }
    NR == 2 { for (i = 1; i <= NF; i++) print h[i] "\t" $i }')
}

# ---------------------------------------------------------------------------------------------- health

# Replication state of replica $1: prints "ok", "wait <why>" (still connecting) or "broken <why>".
replica_state() {
  local n=$1
  sql_kv "$n" "$REPL_STATUS_SQL" || { echo "broken cannot read replica status"; return; }
  (( ${#KV[@]} )) || { echo "broken replication is not configured"; return; }
  local io=${KV[$F_IO]:-} sqlt=${KV[$F_SQL]:-} host=${KV[$F_HOST]:-} port=${KV[$F_PORT]:-}
  local ioerr=${KV[Last_IO_Errno]:-0} sqlerr=${KV[Last_SQL_Errno]:-0} delay=${KV[SQL_Delay]:-0}
  local gtidmode=${KV[$F_GTIDMODE]:-}
  if [[ $host != 127.0.0.1 || $port != "$(port_of 1)" ]]; then echo "broken replicates from $host:$port, not the primary"; return; fi
  if [[ $gtidmode != "$F_GTIDMODE_OK" ]]; then echo "broken not using GTID auto-positioning ($F_GTIDMODE=$gtidmode)"; return; fi
  if [[ $sqlerr != 0 ]]; then echo "broken SQL thread error $sqlerr: ${KV[Last_SQL_Error]:-}"; return; fi
  if [[ $sqlt != Yes ]]; then echo "broken SQL thread not running ($sqlt)"; return; fi
  if [[ $delay != 0 ]]; then echo "broken left with a replication delay of $delay s"; return; fi
  case $io in
    Yes) echo ok ;;
    # Connecting: the primary was (re)started a moment ago; retry is 1 s, so this clears quickly.
    Connecting) echo "wait IO thread connecting (last error $ioerr: ${KV[Last_IO_Error]:-})" ;;
    *) echo "broken IO thread not running ($io), error $ioerr: ${KV[Last_IO_Error]:-}" ;;
  esac
}

# Checks the whole topology of the current flavor. Returns 0 if healthy; else sets REASON.
# $1 = "init" adds the checks that write as rr_app on the primary (done once, they add GTIDs).
check_topology() {
  local mode=${1:-} n out
  REASON=
  for n in "${NODES[@]}"; do
    out=$(sql_root "$n" "$NODE_FACTS_SQL" 2>&1) || { REASON="node $n (port $(port_of "$n")) does not answer: $out"; return 1; }
    local ro sro users
    read -r ro sro users <<<"$out"
    if [[ $users != 3 ]]; then REASON="node $n lacks the rr_* users"; return 1; fi
    if [[ $n == 1 ]]; then
      [[ $ro == 0 ]] || { REASON="primary (port $(port_of 1)) is read_only"; return 1; }
      sql_kv 1 "$REPL_STATUS_SQL" || { REASON="cannot read the primary's replica status"; return 1; }
      (( ${#KV[@]} == 0 )) || { REASON="primary (port $(port_of 1)) is itself configured as a replica (left over from a failover test?)"; return 1; }
    else
      # ("-": MariaDB has no super_read_only)
      if [[ $ro != 1 || ( $sro != 1 && $sro != - ) ]]; then
        local what="read_only=$ro"; [[ $sro == - ]] || what+=" super_read_only=$sro"
        REASON="replica node $n (port $(port_of "$n")) is writable ($what)"; return 1
      fi
    fi
  done

  # Replication threads: allow a few seconds for IO threads that are reconnecting to a restarted primary.
  local t0=$SECONDS st
  for n in "${NODES[@]:1}"; do
    while :; do
      st=$(replica_state "$n")
      [[ $st == ok ]] && break
      if [[ $st == broken* || $(( SECONDS - t0 )) -ge 20 ]]; then
        REASON="replica node $n (port $(port_of "$n")): ${st#* }"; return 1
      fi
      sleep 0.2
    done
  done

  # The tests' database must exist; recreate it on the primary if a test dropped it (replicates).
  # The probe table is only created when missing: a reused topology gains one GTID per start.
  local has_db has_probe
  out=$(sql_root 1 "SELECT (SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name='$DB'),
          (SELECT COUNT(*) FROM information_schema.tables WHERE table_schema='$HEALTH_DB' AND table_name='probe')") \
    || { REASON="primary query failed"; return 1; }
  read -r has_db has_probe <<<"$out"
  if [[ $has_db != 1 ]]; then
    log "$F: database $DB missing, creating it on the primary"
    sql_root 1 "CREATE DATABASE $DB" || { REASON="cannot create $DB on the primary"; return 1; }
  fi
  if [[ $has_probe != 1 ]]; then
    sql_root 1 "CREATE DATABASE IF NOT EXISTS $HEALTH_DB;
      CREATE TABLE IF NOT EXISTS $HEALTH_DB.probe (id INT PRIMARY KEY, token VARCHAR(100) NOT NULL)" \
      || { REASON="cannot create $HEALTH_DB.probe on the primary"; return 1; }
  fi

  # End-to-end probe: a row written on the primary must reach every replica (GTID wait, bounded).
  local token pos
  token="probe-$(date +%s%N)-$$"
  out=$(sql_root 1 "REPLACE INTO $HEALTH_DB.probe VALUES (1, '$token'); $PRIMARY_POS_SQL" 2>&1) \
    || { REASON="probe write on the primary failed: $out"; return 1; }
  pos=$(printf '%s' "$out" | tr -d ' \n\r\t')
  [[ $pos =~ ^[0-9A-Za-z_:,-]+$ ]] || { REASON="unexpected GTID position from the primary: '$out'"; return 1; }
  for n in "${NODES[@]:1}"; do
    out=$(sql_root "$n" "$("${F}_wait_sql" "$pos" 15); SELECT token FROM $HEALTH_DB.probe WHERE id=1" 2>&1)
    if [[ $out != "0"$'\n'"$token" ]]; then
      REASON="replica node $n (port $(port_of "$n")) did not apply the primary's position $pos within 15 s (got: ${out//$'\n'/ })"
      return 1
    fi
  done

  # The application user must be unable to write on a replica (no SUPER / READ_ONLY ADMIN): 1290.
  for n in "${NODES[@]:1}"; do
    out=$(sql_tcp "$APP_USER" "$APP_PW" "$n" "CREATE TABLE $DB.rr_servers_ro_probe (id INT)")
    [[ $out == *"ERROR 1290"* ]] || { REASON="$APP_USER could write on read_only replica node $n (or failed differently): $out"; return 1; }
    out=$(sql_tcp "$APP_USER" "$APP_PW" "$n" "$REPL_STATUS_SQL")
    [[ $out != *ERROR* ]] || { REASON="$APP_USER cannot read replica status on node $n: $out"; return 1; }
  done
  if [[ $mode == init ]]; then
    # Full DDL on rr\_test\_% (per-test databases) and on rr_test, as the app user on the primary.
    out=$(sql_tcp "$APP_USER" "$APP_PW" 1 "CREATE DATABASE rr_test_servers_probe; DROP DATABASE rr_test_servers_probe;
            CREATE TABLE $DB.rr_servers_probe (id INT PRIMARY KEY); DROP TABLE $DB.rr_servers_probe")
    [[ -z $out ]] || { REASON="$APP_USER cannot create/drop on the primary: $out"; return 1; }
    out=$(sql_tcp "$ADMIN_USER" "$ADMIN_PW" 2 "$REPL_STATUS_SQL")
    [[ $out != *ERROR* ]] || { REASON="$ADMIN_USER cannot connect to a replica: $out"; return 1; }
  fi
  return 0
}

# ---------------------------------------------------------------------------------------------- init

# Wipes the flavor's datadirs and builds primary + 2 replicas from nothing.
init_flavor() {
  local n pids=() ok=1
  stop_nodes
  ports_free || return 1                    # fail fast, before the slow part
  rm -rf "$FDIR"
  for n in "${NODES[@]}"; do mkdir -p "$(ndir "$n")/tmp" && install -d -m 700 "$(ndir "$n")/files"; done
  check_socket_paths || return 1

  # Datadir creation is the slow part: run the three in parallel (each has its own tmpdir).
  for n in "${NODES[@]}"; do "${F}_init_datadir" "$n" >"$(ndir "$n")/init.log" 2>&1 & pids+=($!); done
  for n in "${NODES[@]}"; do
    if ! wait "${pids[n-1]}"; then
      log "$F: initialising the datadir of node $n failed:"; tail_of "$(ndir "$n")/init.log" 25 >&2; ok=0
    fi
  done
  (( ok )) || { REASON="datadir initialisation failed (see $FDIR/n*/init.log)"; return 1; }

  for n in "${NODES[@]}"; do launch_node "$n"; done
  for n in "${NODES[@]}"; do wait_node_up "$n" 60 || { REASON="node $n did not start (log: $(nerrlog "$n"))"; return 1; }; done

  # Users on every node with the binlog off: identical everywhere and no GTIDs of their own.
  local out
  for n in "${NODES[@]}"; do
    out=$(sql_root "$n" "$("${F}_users_sql" "$n")" 2>&1) || { REASON="creating users on node $n failed: $out"; return 1; }
  done
  for n in "${NODES[@]:1}"; do
    out=$(sql_root "$n" "$("${F}_wire_sql" "$n")" 2>&1) || { REASON="wiring replica node $n failed: $out"; return 1; }
  done
  # Created after the wiring: replicates like any test statement (one GTID).
  out=$(sql_root 1 "CREATE DATABASE $DB" 2>&1) || { REASON="creating $DB failed: $out"; return 1; }

  check_topology init || return 1
  echo "$LAYOUT_VERSION" > "$FDIR/.initialized"
}

# Unix socket paths are limited to 107 bytes; a long RR_SERVERS_HOME would fail obscurely otherwise.
check_socket_paths() {
  local s; s=$(nsock 1)
  (( ${#s} < 100 )) || { REASON="socket path too long (${#s} bytes): $s; set RR_SERVERS_HOME to a shorter directory"; return 1; }
}

# Before launching: every port of the flavor must be free (or held by our own server).
ports_free() {
  local n
  for n in "${NODES[@]}"; do
    node_pid "$n" >/dev/null && continue
    if port_open "$(port_of "$n")"; then
      REASON="port $(port_of "$n") is already in use by another process ($(port_owner "$(port_of "$n")")) - another RR_SERVERS_HOME or a foreign server?"
      return 1
    fi
  done
}

# ---------------------------------------------------------------------------------------------- commands

# start one flavor: reuse → restart → rebuild, in that order of preference.
start_flavor() {
  local t0 n how
  t0=$(now)
  use_flavor "$1"
  REASON=
  if ! "${F}_ensure_binaries"; then
    banner "FAILED to bring up the $F topology" "reason: ${REASON:-could not install/fetch the server binaries}" \
      "(ports $(port_of 1), $(port_of 2), $(port_of 3) are NOT available for tests)"
    return 1
  fi

  if [[ -f $FDIR/.initialized && $(cat "$FDIR/.initialized") == "$LAYOUT_VERSION" ]]; then
    how=reused
    local down=() rc
    for n in "${NODES[@]}"; do
      if node_pid "$n" >/dev/null; then
        # Running, but possibly still starting or shutting down (a test just stopped it): wait
        # until it answers or is gone; a gone one is restarted below.
        wait_node_up "$n" 60 quiet; rc=$?
        (( rc == 2 )) && down+=("$n")
        (( rc == 1 )) && REASON="node $n (port $(port_of "$n")) runs but does not answer"
      else
        down+=("$n")
      fi
    done
    if [[ -z $REASON ]] && (( ${#down[@]} )); then
      # Datadirs exist but servers are down (stop, reboot, killed session): start them again.
      how=restarted
      if ports_free; then for n in "${down[@]}"; do launch_node "$n"; done; fi
    fi
    if [[ -z $REASON ]]; then
      for n in "${NODES[@]}"; do wait_node_up "$n" 60 || { REASON="node $n did not start"; break; }; done
    fi
    if [[ -z $REASON ]] && check_topology; then
      log "$F: $how healthy topology in $(since "$t0") (ports $(port_of 1) primary, $(port_of 2), $(port_of 3) replicas)"
      return 0
    fi
    log "$F: existing topology is not usable: $REASON"
    log "$F: wiping it and initialising from scratch"
  fi

  if [[ -d $FDIR && ! -f $FDIR/.initialized ]]; then
    log "$F: $FDIR holds no finished initialisation: initialising from scratch"
  elif [[ -f $FDIR/.initialized && $(cat "$FDIR/.initialized") != "$LAYOUT_VERSION" ]]; then
    log "$F: datadirs were made by an older version of this script: initialising from scratch"
  fi
  REASON=
  if init_flavor; then
    log "$F: initialised fresh topology in $(since "$t0") (ports $(port_of 1) primary, $(port_of 2), $(port_of 3) replicas)"
    return 0
  fi
  banner "FAILED to bring up the $F topology" "reason: $REASON" \
    "state dir: $FDIR (error logs: $FDIR/n*/error.log)" \
    "(ports $(port_of 1), $(port_of 2), $(port_of 3) are NOT available for tests)"
  return 1
}

stop_flavor() {
  use_flavor "$1"
  "${F}_have_binaries"                        # sets HAVE_CLIENT; without a client: plain SIGTERM
  stop_nodes
}

reset_flavor() {
  stop_flavor "$1"
  rm -rf "$FDIR"
  log "$F: datadirs wiped"
  start_flavor "$1"
}

status_flavor() {
  use_flavor "$1"
  if ! "${F}_have_binaries"; then echo "$F: server binaries not installed/fetched"; return; fi
  local n pid line out st
  for n in "${NODES[@]}"; do
    line=$(printf '%-7s n%s 127.0.0.1:%s %-7s' "$F" "$n" "$(port_of "$n")" "$(role_of "$n")")
    if ! pid=$(node_pid "$n"); then echo "$line  DOWN"; continue; fi
    out=$(sql_root "$n" "SELECT @@global.read_only; $PRIMARY_POS_SQL" 2>&1 | tr '\n' ' ') \
      || { echo "$line  pid=$pid NOT ANSWERING: $out"; continue; }
    local ro=${out%% *} gtid=${out#* }
    line+="  pid=$pid read_only=$ro"
    if sql_kv "$n" "$REPL_STATUS_SQL" && (( ${#KV[@]} )); then
      line+=" io=${KV[$F_IO]:-?} sql=${KV[$F_SQL]:-?} source=${KV[$F_HOST]:-?}:${KV[$F_PORT]:-?} delay=${KV[SQL_Delay]:-?}"
      [[ ${KV[Last_IO_Errno]:-0} == 0 ]] || line+=" io_error=${KV[Last_IO_Errno]}"
      [[ ${KV[Last_SQL_Errno]:-0} == 0 ]] || line+=" sql_error=${KV[Last_SQL_Errno]}"
    else
      line+=" (no replication)"
    fi
    echo "$line gtid=${gtid% }"
  done
}

# A flavor counts as "up" for `env` when all three nodes answer (start did the deep checks).
flavor_up() {
  use_flavor "$1"
  "${F}_have_binaries" || return 1
  local n
  for n in "${NODES[@]}"; do sql_root "$n" "SELECT 1" >/dev/null 2>&1 || return 1; done
}

cmd_env() {
  local f up=() nodes
  for f in "$@"; do flavor_up "$f" && up+=("$f"); done
  echo "export RR_FLAVORS=$(IFS=,; echo "${up[*]}")"
  for f in "$@"; do
    use_flavor "$f"
    nodes="127.0.0.1:$(port_of 1),127.0.0.1:$(port_of 2),127.0.0.1:$(port_of 3)"
    [[ " ${up[*]} " == *" $f "* ]] || { echo "# $f is not running"; continue; }
    echo "export RR_${f^^}_NODES=$nodes"
  done
  echo "export RR_USER=$APP_USER RR_PASSWORD=$APP_PW RR_ADMIN_USER=$ADMIN_USER RR_ADMIN_PASSWORD=$ADMIN_PW RR_DATABASE=$DB"
  (( ${#up[@]} )) || { log "no topology is running (run: $0 start)"; return 1; }
}

usage() {
  sed -n '2,/^$/p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

main() {
  local cmd=${1:-} f rc=0
  [[ -n $cmd ]] || usage
  shift
  local flavors=("$@")
  (( ${#flavors[@]} )) || flavors=("${ALL_FLAVORS[@]}")
  for f in "${flavors[@]}"; do
    [[ $f == mariadb || $f == mysql ]] || { echo "unknown flavor '$f' (expected: mariadb, mysql)" >&2; usage; }
  done

  mkdir -p "$RR_HOME"
  case $cmd in
    start|stop|reset)
      # Serialise concurrent invocations (several clones / parallel CI jobs share $RR_HOME).
      exec 9>>"$RR_HOME/.lock"
      flock -w 900 9 || { banner "could not lock $RR_HOME/.lock within 15 minutes"; exit 1; }
      for f in "${flavors[@]}"; do
        case $cmd in
          start) start_flavor "$f" || rc=1 ;;
          stop)  stop_flavor "$f" ;;
          reset) reset_flavor "$f" || rc=1 ;;
        esac
      done ;;
    status) for f in "${flavors[@]}"; do status_flavor "$f"; done ;;
    env)    cmd_env "${flavors[@]}" || rc=1 ;;
    -h|--help|help) usage ;;
    *) echo "unknown command '$cmd'" >&2; usage ;;
  esac
  exit "$rc"
}

main "$@"
