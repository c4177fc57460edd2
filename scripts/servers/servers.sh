#!/usr/bin/env bash
# Local replication topologies for ReplicaRouting's integration tests.
#
#   mariadb  MariaDB 10.11 (Debian bookworm package)       primary 127.0.0.1:3311, replicas 3312, 3313
#   mysql    MySQL 9.7 (Debian sid package, private root)  primary 127.0.0.1:3321, replicas 3322, 3323
#
# Usage: servers.sh start|stop|reset|status|env [mariadb|mysql ...]   (no flavor = both)
#        servers.sh kill mariadb|mysql 1|2|3
#
#   start   bring the topology up and verify it is healthy; reuses running servers, restarts stopped
#           ones, rebuilds a flavor from scratch when anything is off (broken/promoted replica, ...).
#           Exit status is non-zero if any requested flavor could not be brought up (reason on stderr).
#   stop    clean shutdown of the servers (waits for them to exit).
#   reset   kill the servers, wipe the datadirs, start from scratch.
#   status  one line per node: port, pid, role, read_only, replication threads, GTID position.
#   env     `export` lines for the test runner: eval "$(scripts/servers/servers.sh env)".
#   kill    SIGKILL one node's server (a crashed primary, for failover tests); waits until its port is closed.
#
# Sets: RR_SERVERS_SET selects which topologies the command acts on.
#   (empty)   the shared topologies above, used by most tests at the same time.
#   failover  separate, disposable topologies for tests that kill and promote nodes:
#             mariadb 3331 primary, 3332, 3333 replicas; mysql 3341 primary, 3342, 3343 replicas.
#             Replicas notice a killed primary at once and a hung one within ~2 s (heartbeat 1 s,
#             net timeout 2 s); replication is semi-synchronous (2 s timeout, then async).
#             `env` prints RR_FAILOVER_FLAVORS and RR_FAILOVER_<FLAVOR>_NODES for them.
#   gr        MySQL only: a three-member Group Replication group (cluster-gr.sh), 3351-3353;
#             RR_GR_MODE=multi for multi-primary. `env` prints RR_GR_FLAVORS and RR_GR_MYSQL_NODES.
#
# State lives outside the repository (so every clone shares the same servers):
#   ${RR_SERVERS_HOME:-$HOME/.cache/replicarouting}/{mariadb,mysql}/n1..n3            shared set
#   ${RR_SERVERS_HOME:-$HOME/.cache/replicarouting}/failover/{mariadb,mysql}/n1..n3   failover set
#   ${RR_SERVERS_HOME:-$HOME/.cache/replicarouting}/mysql-sid/root     unpacked MySQL 9.7 (cached, one for all sets)
# Environment knobs: RR_SERVERS_HOME (state dir), RR_SERVERS_SET (see above),
#   RR_DEBIAN_MIRROR (override the mirror taken from apt sources).

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

# The set of topologies this invocation acts on. Each set has its own state dir, ports and lock, so
# a failover test rebuilding, killing and promoting its set never waits for, nor disturbs, the
# shared set that other tests use at the same time. The MySQL binaries ($RR_HOME/mysql-sid) are
# shared by all sets: fetched once.
#   SET_HOME      the set's state dir (its flavors' n1..n3 live below it, and its lock files)
#   PORT_OFFSET   added to the flavor's base port
#   FAST_DETECT   1: heartbeat 1 s and net timeout 2 s, so replicas see a dead primary within ~2 s
#   SEMI_SYNC     1: semi-synchronous replication on every node (if the flavor's binaries have it)
RR_SET=${RR_SERVERS_SET:-}
CLUSTER=                     # a cluster set's hooks prefix (cluster-<name>.sh): <name>_start_flavor, ...
SET_FLAVORS=("${ALL_FLAVORS[@]}")
case $RR_SET in
  "")       SET_HOME=$RR_HOME;          PORT_OFFSET=0;  FAST_DETECT=0; SEMI_SYNC=0 ;;
  failover) SET_HOME=$RR_HOME/failover; PORT_OFFSET=20; FAST_DETECT=1; SEMI_SYNC=1 ;;
  gr)       SET_HOME=$RR_HOME/gr;       PORT_OFFSET=30; FAST_DETECT=0; SEMI_SYNC=0; CLUSTER=gr; SET_FLAVORS=(mysql) ;;
  *) echo "servers.sh: unknown RR_SERVERS_SET '$RR_SET' (expected: empty, 'failover' or 'gr')" >&2; exit 2 ;;
esac
# How `env` names the nodes variable: the failover set must never be picked up by ordinary tests
# as RR_MARIADB_NODES (they would run against servers that another test kills).
ENV_PREFIX=RR_${RR_SET:+${RR_SET^^}_}

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
# shellcheck source=cluster-gr.sh
source "$HERE/cluster-gr.sh"

use_flavor() {
  F=$1
  HAVE_CLIENT=0           # set to 1 by <flavor>_have_binaries once CLIENT is usable
  FDIR=$SET_HOME/$F
  case $F in
    mariadb) BASEPORT=$((3310 + PORT_OFFSET)) ;;
    mysql)   BASEPORT=$((3320 + PORT_OFFSET)) ;;
  esac
  FL=$F${RR_SET:+ ($RR_SET set)}      # for messages: "mariadb" or "mariadb (failover set)"
}

# Semi-sync for this set and flavor? The flavor file says whether its binaries have it (MySQL:
# plugins in the unpacked root, which may only exist once _ensure_binaries has run: ask late).
semi_on() { (( SEMI_SYNC )) && "${F}_semi_sync_available"; }

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
  [[ -z $CLUSTER ]] || "${CLUSTER}_server_args" "$n"
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
        log "$FL node $n (port $(port_of "$n")) exited during start-up; error log:"
        tail_of "$(nerrlog "$n")" 25 >&2; tail_of "$(ndir "$n")/stdout.log" 5 >&2
      fi
      return 2
    fi
    sleep 0.1
  done
  if [[ -z $quiet ]]; then
    log "$FL node $n (port $(port_of "$n")) did not answer within ${limit}s; error log:"
    tail_of "$(nerrlog "$n")" 25 >&2
  fi
  return 1
}

# Alive and not a zombie: our servers are re-parented to PID 1, which may reap them only later.
alive() { [[ -e /proc/$1 ]] && ! grep -q '^[0-9]* ([^)]*) Z' "/proc/$1/stat" 2>/dev/null; }

kill_dump_threads() {
  local n=$1 id ids
  ids=$(sql_root "$n" "SELECT id FROM information_schema.processlist WHERE command LIKE 'Binlog Dump%'" 2>/dev/null) || return 0
  for id in $ids; do sql_root "$n" "KILL $id" >/dev/null 2>&1; done
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
      # the next heartbeat; shutdown would wait ~2 s for them. End them now. Every node, not only
      # node 1: after a failover test, a promoted replica is the one serving binlogs.
      (( HAVE_CLIENT )) && kill_dump_threads "$n"
      kill -TERM "$pid" 2>/dev/null && pids+=("$n:$pid")
    done
    local t0=$SECONDS item
    for item in "${pids[@]}"; do
      n=${item%%:*}; pid=${item#*:}
      while alive "$pid" && (( SECONDS - t0 < 90 )); do sleep 0.05; done
      if alive "$pid"; then
        log "$FL node $n (pid $pid) ignored SIGTERM for 90 s: killing it"
        kill -KILL "$pid" 2>/dev/null; sleep 0.5
      fi
      rm -f "$(nsock "$n")" "$(nsock "$n").lock"
      count=$((count + 1))
    done
  done
  (( count == 0 )) || log "$FL: stopped $count server(s)"
}

# SIGKILL node $1: what a crashed server looks like to its replicas and clients (no shutdown, no
# goodbye on the replication connections). Waits, bounded by 30 s, until the process is gone and
# its port refuses connections. Returns 1 if the node was not running, 2 on timeout.
kill_node() {
  local n=$1 pid port t0=$SECONDS
  port=$(port_of "$n")
  pid=$(node_pid "$n") || return 1
  kill -KILL "$pid" 2>/dev/null
  # (a zombie counts as gone: PID 1 reaps our detached servers whenever it likes)
  while alive "$pid" || port_open "$port"; do
    (( SECONDS - t0 < 30 )) || return 2
    sleep 0.02
  done
  KILLED_PID=$pid
}

# Throws the flavor's servers and datadirs away. SIGKILL rather than a clean stop: the data is
# deleted right after, and a clean stop costs seconds (a primary waits for its dump threads, a
# MySQL shutdown flushes InnoDB). Failover tests reset their set before every scenario.
wipe_flavor() {
  local n rc
  for n in "${NODES[@]}"; do
    kill_node "$n"; rc=$?
    (( rc == 2 )) && { REASON="node $n (port $(port_of "$n")) survived SIGKILL for 30 s"; return 1; }
  done
  rm -rf "$FDIR"
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

# Semi-sync state of node $1 as a source: sets SEMI_CLIENTS (connected semi-sync replicas), SEMI_ON
# (ON/OFF: OFF after a timeout fell back to async) and SEMI_YES (commits acknowledged so far).
semi_status() {
  local out
  out=$(sql_root "$1" "$SEMI_STATUS_SQL" 2>/dev/null) || return 1
  read -r SEMI_CLIENTS SEMI_ON SEMI_YES <<<"$out"
  [[ $SEMI_CLIENTS =~ ^[0-9]+$ && $SEMI_YES =~ ^[0-9]+$ ]]
}

# Waits (bounded) until both replicas are connected to the primary as semi-sync replicas and the
# primary's semi-sync is ON. Before that, a commit would wait for the timeout and go async.
semi_wait_clients() {
  local t0=$SECONDS
  while :; do
    if semi_status 1 && (( SEMI_CLIENTS == ${#NODES[@]} - 1 )) && [[ $SEMI_ON == ON ]]; then return 0; fi
    if (( SECONDS - t0 >= 10 )); then
      REASON="primary (port $(port_of 1)): semi-sync clients=${SEMI_CLIENTS:-?} status=${SEMI_ON:-?} after 10 s (expected $(( ${#NODES[@]} - 1 )) and ON)"
      return 1
    fi
    sleep 0.1
  done
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
    if semi_on; then
      out=$(sql_root "$n" "$SEMI_VARS_SQL" 2>&1)
      [[ $out == $'1\t1' ]] || { REASON="node $n (port $(port_of "$n")): semi-sync is not enabled on both sides (source, replica: ${out//$'\t'/, })"; return 1; }
    fi
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
    log "$FL: database $DB missing, creating it on the primary"
    sql_root 1 "CREATE DATABASE $DB" || { REASON="cannot create $DB on the primary"; return 1; }
  fi
  if [[ $has_probe != 1 ]]; then
    sql_root 1 "CREATE DATABASE IF NOT EXISTS $HEALTH_DB;
      CREATE TABLE IF NOT EXISTS $HEALTH_DB.probe (id INT PRIMARY KEY, token VARCHAR(100) NOT NULL)" \
      || { REASON="cannot create $HEALTH_DB.probe on the primary"; return 1; }
  fi

  # Semi-sync set: both replicas must be connected as semi-sync replicas before the probe, and the
  # probe's commit must be acknowledged by one of them (yes_tx grows; a timeout would count in no_tx
  # and silently fall back to async).
  local semi_before
  if semi_on; then
    semi_wait_clients || return 1
    semi_before=$SEMI_YES
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
  if semi_on; then
    semi_status 1 || { REASON="cannot read the primary's semi-sync status"; return 1; }
    if (( SEMI_YES <= semi_before )) || [[ $SEMI_ON != ON ]]; then
      REASON="the probe's commit was not acknowledged semi-synchronously (status $SEMI_ON, clients $SEMI_CLIENTS, yes_tx $semi_before -> $SEMI_YES; timed out and fell back to async?)"
      return 1
    fi
  fi

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
  wipe_flavor || return 1
  ports_free || return 1                    # fail fast, before the slow part
  for n in "${NODES[@]}"; do mkdir -p "$(ndir "$n")/tmp" && install -d -m 700 "$(ndir "$n")/files"; done
  check_socket_paths || return 1

  # Datadir creation is the slow part: run the three in parallel (each has its own tmpdir).
  for n in "${NODES[@]}"; do "${F}_init_datadir" "$n" >"$(ndir "$n")/init.log" 2>&1 & pids+=($!); done
  for n in "${NODES[@]}"; do
    if ! wait "${pids[n-1]}"; then
      log "$FL: initialising the datadir of node $n failed:"; tail_of "$(ndir "$n")/init.log" 25 >&2; ok=0
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
  # Semi-sync: a commit before the replicas are connected would wait out the timeout (2 s).
  if semi_on; then semi_wait_clients || return 1; fi
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

# Installs/fetches the flavor's binaries if missing. They are shared by all sets, so this step is
# guarded by the shared set's lock ($RR_HOME/.lock): the shared set already holds it (a second
# flock on another descriptor of the same file would deadlock), other sets take it just for this.
ensure_binaries() {
  "${F}_have_binaries" && return 0
  [[ -z $RR_SET ]] && { "${F}_ensure_binaries"; return; }
  local rc
  exec 8>>"$RR_HOME/.lock"
  if ! flock -w 900 8; then
    exec 8>&-
    REASON="could not lock $RR_HOME/.lock (to install/fetch the binaries) within 15 minutes"
    return 1
  fi
  "${F}_ensure_binaries"; rc=$?
  exec 8>&-
  return "$rc"
}

# start one flavor: reuse → restart → rebuild, in that order of preference.
start_flavor() {
  [[ -z $CLUSTER ]] || { "${CLUSTER}_start_flavor" "$1"; return; }
  local t0 n how
  t0=$(now)
  use_flavor "$1"
  REASON=
  if ! ensure_binaries; then
    banner "FAILED to bring up the $FL topology" "reason: ${REASON:-could not install/fetch the server binaries}" \
      "(ports $(port_of 1), $(port_of 2), $(port_of 3) are NOT available for tests)"
    return 1
  fi
  if (( SEMI_SYNC )) && ! semi_on; then
    log "$FL: NOTE: this flavor's binaries have no semi-sync support: its replication stays asynchronous"
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
      log "$FL: $how healthy topology in $(since "$t0") (ports $(port_of 1) primary, $(port_of 2), $(port_of 3) replicas)"
      return 0
    fi
    log "$FL: existing topology is not usable: $REASON"
    log "$FL: wiping it and initialising from scratch"
  fi

  if [[ -d $FDIR && ! -f $FDIR/.initialized ]]; then
    log "$FL: $FDIR holds no finished initialisation: initialising from scratch"
  elif [[ -f $FDIR/.initialized && $(cat "$FDIR/.initialized") != "$LAYOUT_VERSION" ]]; then
    log "$FL: datadirs were made by an older version of this script: initialising from scratch"
  fi
  REASON=
  if init_flavor; then
    log "$FL: initialised fresh topology in $(since "$t0") (ports $(port_of 1) primary, $(port_of 2), $(port_of 3) replicas)"
    return 0
  fi
  banner "FAILED to bring up the $FL topology" "reason: $REASON" \
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
  use_flavor "$1"
  if ! wipe_flavor; then
    banner "FAILED to reset the $FL topology" "reason: $REASON" "state dir: $FDIR"
    return 1
  fi
  log "$FL: servers killed, datadirs wiped"
  start_flavor "$1"
}

# `kill <flavor> <node>`: SIGKILL one node (any set), for tests that crash a primary or a replica.
kill_cmd() {
  local n=$2 t0 rc
  use_flavor "$1"
  t0=$(now)
  kill_node "$n"; rc=$?
  case $rc in
    0) log "$FL: killed node $n (port $(port_of "$n"), pid $KILLED_PID); port closed after $(since "$t0")" ;;
    1) banner "kill: $FL node $n (port $(port_of "$n")) is not running" "state dir: $FDIR"; return 1 ;;
    *) banner "kill: $FL node $n (port $(port_of "$n")) still runs or listens 30 s after SIGKILL" \
         "port owner: $(port_owner "$(port_of "$n")")"; return 1 ;;
  esac
}

status_flavor() {
  [[ -z $CLUSTER ]] || { "${CLUSTER}_status_flavor" "$1"; return; }
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
    # Semi-sync as a source (meaningful on whichever node is the primary now).
    if semi_on && semi_status "$n"; then line+=" semi_sync=$SEMI_ON clients=$SEMI_CLIENTS"; fi
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

# Shared set: RR_FLAVORS, RR_MARIADB_NODES, RR_MYSQL_NODES. Failover set: RR_FAILOVER_FLAVORS,
# RR_FAILOVER_MARIADB_NODES, RR_FAILOVER_MYSQL_NODES (own names, so that evaluating both is safe).
# Users and database are the same in every set.
cmd_env() {
  local f up=() nodes
  for f in "$@"; do flavor_up "$f" && up+=("$f"); done
  echo "export ${ENV_PREFIX}FLAVORS=$(IFS=,; echo "${up[*]}")"
  for f in "$@"; do
    use_flavor "$f"
    nodes="127.0.0.1:$(port_of 1),127.0.0.1:$(port_of 2),127.0.0.1:$(port_of 3)"
    [[ " ${up[*]} " == *" $f "* ]] || { echo "# $FL is not running"; continue; }
    echo "export ${ENV_PREFIX}${f^^}_NODES=$nodes"
  done
  echo "export RR_USER=$APP_USER RR_PASSWORD=$APP_PW RR_ADMIN_USER=$ADMIN_USER RR_ADMIN_PASSWORD=$ADMIN_PW RR_DATABASE=$DB"
  (( ${#up[@]} )) || { log "no topology of the ${RR_SET:-shared} set is running (run: ${RR_SET:+RR_SERVERS_SET=$RR_SET }$0 start)"; return 1; }
}

# Holds the lock file $1 on fd 9 (bounded wait). Our servers never inherit fd 9 (launch_node).
take_lock() {
  exec 9>>"$1"
  flock -w 900 9 || { banner "could not lock $1 within 15 minutes"; return 1; }
}

usage() {
  sed -n '2,/^$/p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

main() {
  local cmd=${1:-} f rc=0
  [[ -n $cmd ]] || usage
  shift
  local knode=
  if [[ $cmd == kill ]]; then
    # kill <flavor> <node>: exactly one node of one flavor.
    [[ $# == 2 && $2 =~ ^[123]$ ]] || { echo "usage: $0 kill mariadb|mysql 1|2|3" >&2; exit 2; }
    knode=$2; set -- "$1"
  fi
  local flavors=("$@")
  (( ${#flavors[@]} )) || flavors=("${SET_FLAVORS[@]}")
  for f in "${flavors[@]}"; do
    [[ " ${SET_FLAVORS[*]} " == *" $f "* ]] || { echo "unknown flavor '$f' (expected: ${SET_FLAVORS[*]})" >&2; usage; }
  done

  mkdir -p "$RR_HOME" "$SET_HOME"
  case $cmd in
    start|stop|reset|kill)
      # Serialise concurrent invocations (several clones / parallel CI jobs share $RR_HOME).
      # Shared set: one lock for everything, as always ($RR_HOME/.lock; it also guards fetching the
      # binaries). Failover set: one lock per flavor, so that a MariaDB failover test's kill does
      # not wait ~8 s for a MySQL failover test's reset, nor for anything on the shared set.
      [[ -z $RR_SET ]] && { take_lock "$RR_HOME/.lock" || exit 1; }
      for f in "${flavors[@]}"; do
        [[ -n $RR_SET ]] && { take_lock "$SET_HOME/$f.lock" || exit 1; }
        case $cmd in
          start) start_flavor "$f" || rc=1 ;;
          stop)  stop_flavor "$f" ;;
          reset) reset_flavor "$f" || rc=1 ;;
          kill)  kill_cmd "$f" "$knode" || rc=1 ;;
        esac
        [[ -n $RR_SET ]] && exec 9>&-
      done ;;
    status) for f in "${flavors[@]}"; do status_flavor "$f"; done ;;
    env)    cmd_env "${flavors[@]}" || rc=1 ;;
    -h|--help|help) usage ;;
    *) echo "unknown command '$cmd'" >&2; usage ;;
  esac
  exit "$rc"
}

main "$@"
