# MariaDB 10.11 Galera cluster for servers.sh (sourced; its galera_* hooks act when RR_SERVERS_SET=galera).
# shellcheck shell=bash disable=SC2034  # (globals set here are read by servers.sh)
#
# Three nodes on 127.0.0.1, every one writable (Galera is multi-master; the library picks ONE writer):
#   node N: MariaDB protocol 3360+N, group communication (gcomm) 4560+N, IST 4570+N, SST 4580+N.
# Node 1 bootstraps the cluster (--wsrep-new-cluster), nodes 2 and 3 join it by SST with mariabackup
# (streamed with socat). rsync, the faster method, cannot work with our state under /root (mode 700):
# its daemon on the joiner runs as root but drops to 'nobody', which cannot reach the datadir.
# Hooks for servers.sh (CLUSTER=galera): galera_server_args, galera_start_flavor, galera_status_flavor
# replace the primary/replica set-up, health check and status; stop, kill, reset and env are the shared ones.

GALERA_PROVIDER=/usr/lib/galera/libgalera_smm.so
GALERA_CLUSTER=rr_galera
galera_gcomm_port() { echo $((4560 + $1)); }
galera_ist_port()   { echo $((4570 + $1)); }
galera_sst_port()   { echo $((4580 + $1)); }
GALERA_BOOTSTRAP=          # the node launched with --wsrep-new-cluster (set around its launch only)
# State transfer for a joiner without the cluster's history. mariabackup works but its donor script
# sleeps 10 s before streaming; init avoids it (identical datadirs, 'skip'); a node that rejoins
# after a kill normally gets IST from a donor's gcache, and mariabackup only when that is too old.
GALERA_SST=mariabackup
GALERA_START_POS=          # a killed node's recovered position (set around its launch only)

# Installs galera-4 (and mariadb-backup + socat, the SST method) next to mariadb-server when missing.
galera_ensure_packages() {
  [[ -r $GALERA_PROVIDER ]] && command -v mariabackup >/dev/null && command -v socat >/dev/null && return 0
  [[ $EUID == 0 ]] || { REASON="galera-4/mariadb-backup/socat are not installed and we are not root: run 'apt-get install galera-4 mariadb-backup socat' as root"; return 1; }
  local aptlog=$RR_HOME/apt-galera.log
  log "galera: apt-get install galera-4 mariadb-backup socat"
  if ! DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout=300 -o Dpkg::Use-Pty=0 \
       install galera-4 mariadb-backup socat >"$aptlog" 2>&1 9>&-; then
    REASON="apt-get install galera-4 mariadb-backup socat failed (log: $aptlog)"; tail_of "$aptlog" >&2; return 1
  fi
  [[ -r $GALERA_PROVIDER ]] || { REASON="galera-4 installed but $GALERA_PROVIDER is missing"; return 1; }
}

# After mariadb_server_args: wsrep added; no --read-only (every Galera node takes writes).
galera_server_args() {
  local n=$1 a args=()
  # The SST scripts read option files with my_print_defaults even under --no-defaults, so
  # /etc/mysql's [mysqld_safe] syslog sent their messages to syslog: give the node its own file.
  printf '%s\n' '[sst]' 'sst-syslog=-1' 'sst-log-archive=0' > "$(ndir "$n")/galera.cnf"
  # (--innodb-buffer-pool-size: the SST script hands it to mariadb-backup 10.11, which rejects it.)
  for a in "${SARGS[@]:1}"; do
    [[ $a == --read-only=* || $a == --no-defaults || $a == --innodb-buffer-pool-size=* ]] || args+=("$a")
  done
  SARGS=("$MARIADBD" --defaults-file="$(ndir "$n")/galera.cnf" "${args[@]}"
    --wsrep-on=ON --wsrep-provider="$GALERA_PROVIDER" --wsrep-cluster-name="$GALERA_CLUSTER"
    --wsrep-cluster-address="gcomm://127.0.0.1:$(galera_gcomm_port 1),127.0.0.1:$(galera_gcomm_port 2),127.0.0.1:$(galera_gcomm_port 3)"
    --wsrep-node-name="n$n" --wsrep-node-address="127.0.0.1:$(galera_gcomm_port "$n")"
    --wsrep-node-incoming-address="127.0.0.1:$(port_of "$n")"
    --wsrep-sst-method="$GALERA_SST" --wsrep-sst-receive-address="127.0.0.1:$(galera_sst_port "$n")"
    # Own listen/IST ports (three nodes share one host); a small gcache (disk is shared too).
    # evs timeouts: a killed node leaves the view in ~2 s instead of ~6 s (tests wait for it).
    --wsrep-provider-options="gmcast.listen_addr=tcp://127.0.0.1:$(galera_gcomm_port "$n");ist.recv_addr=127.0.0.1:$(galera_ist_port "$n");gcache.size=32M;evs.keepalive_period=PT0.5S;evs.suspect_timeout=PT2S;evs.inactive_timeout=PT4S;evs.install_timeout=PT3S"
    # GTIDs the same on every node (one domain for the cluster's writes): WSREP_LAST_SEEN_GTID and
    # WSREP_SYNC_WAIT_UPTO_GTID speak them.
    --wsrep-gtid-mode=ON --wsrep-gtid-domain-id=1
    --innodb-autoinc-lock-mode=2 --default-storage-engine=InnoDB)
  [[ $n == "$GALERA_BOOTSTRAP" ]] && SARGS+=(--wsrep-new-cluster)
  [[ -n $GALERA_START_POS ]] && SARGS+=(--wsrep-start-position="$GALERA_START_POS")
  return 0
}

# A killed node's grastate.dat has seqno -1: without its position it would need a full SST. Ask
# InnoDB (mariadbd --wsrep-recover, what mysqld_safe does) so that it rejoins with an IST instead.
# Prints the position (uuid:seqno) or nothing.
galera_recovered_position() {
  local n=$1 rlog; rlog=$(ndir "$n")/recover.log
  grep -q '^seqno: *-1' "$(ndata "$n")/grastate.dat" 2>/dev/null || return 0
  "${F}_server_args" "$n"; galera_server_args "$n"
  : > "$rlog"
  timeout 60 "${SARGS[@]}" --wsrep-recover --log-error="$rlog" </dev/null >/dev/null 2>&1 9>&- 8>&-
  sed -n 's/.*WSREP: Recovered position: *\([0-9a-f-]*:[0-9-]*\).*/\1/p' "$rlog" | tail -n1
}

# Status of node $1 in one line: state comment, cluster status, cluster size, ready.
galera_state() {
  sql_root "$1" "SELECT MAX(IF(variable_name='WSREP_LOCAL_STATE_COMMENT', variable_value, NULL)),
      MAX(IF(variable_name='WSREP_CLUSTER_STATUS', variable_value, NULL)),
      MAX(IF(variable_name='WSREP_CLUSTER_SIZE', variable_value, NULL)),
      MAX(IF(variable_name='WSREP_READY', variable_value, NULL))
    FROM information_schema.global_status WHERE variable_name LIKE 'WSREP\_%'" 2>/dev/null | tr '\t' ' '
}

# Waits (bounded, $2 s) until node $1 is Synced in a Primary component of $3 nodes. 0 / 1 timeout / 2 exited.
galera_wait_synced() {
  local n=$1 limit=$2 size=$3 t0=$SECONDS st
  while (( SECONDS - t0 < limit )); do
    st=$(galera_state "$n")
    [[ $st == "Synced Primary $size ON" ]] && return 0
    if ! node_pid "$n" >/dev/null && (( SECONDS - t0 >= 3 )); then
      log "$FL node $n (port $(port_of "$n")) exited while joining; error log:"; tail_of "$(nerrlog "$n")" 25 >&2
      return 2
    fi
    sleep 0.2
  done
  log "$FL node $n (port $(port_of "$n")) not Synced in a Primary component of $size within ${limit}s (state: ${st:-no answer})"
  tail_of "$(nerrlog "$n")" 15 >&2
  return 1
}

# Node 1 bootstraps a cluster of one and gets the users and the database; it is stopped cleanly
# (its grastate.dat then names the cluster and its last seqno) and its datadir copied to 2 and 3.
# Node 1 then bootstraps again and 2 and 3 join one after the other, each with an IST of the few
# writesets since the copy (a full SST by mariadb-backup would sleep 10 s in its donor script).
# Measured: 4-9 s per join on the loaded machine (the SST script runs even for an IST). Starting the
# three together and declaring them primary with pc.bootstrap would avoid the IST, but mariadbd does
# not open its port before it is in a primary component, even with pc.wait_prim=no.
galera_init() {
  local n out t
  wipe_flavor || return 1
  ports_free || return 1
  for n in "${NODES[@]}"; do mkdir -p "$(ndir "$n")/tmp" && install -d -m 700 "$(ndir "$n")/files"; done
  check_socket_paths || return 1
  if ! "${F}_init_datadir" 1 >"$(ndir 1)/init.log" 2>&1; then
    log "$FL: initialising the datadir failed:"; tail_of "$(ndir 1)/init.log" 25 >&2
    REASON="datadir initialisation failed (see $(ndir 1)/init.log)"; return 1
  fi
  t=$(now)
  GALERA_BOOTSTRAP=1 launch_node 1
  galera_wait_synced 1 60 1 || { REASON="bootstrap node 1 did not start (log: $(nerrlog 1))"; return 1; }
  # Galera replicates users and DDL itself (no sql_log_bin trick as in the replication sets).
  out=$(sql_root 1 "$("${F}_users_sql" 1 | grep -v sql_log_bin); CREATE DATABASE $DB" 2>&1) \
    || { REASON="creating users and $DB failed: $out"; return 1; }
  stop_nodes 2>/dev/null
  grep -q 'safe_to_bootstrap: 1' "$(ndata 1)/grastate.dat" || { REASON="node 1 did not stop cleanly (grastate.dat)"; return 1; }
  for n in "${NODES[@]:1}"; do
    cp -a "$(ndata 1)" "$(ndata "$n")" && rm -f "$(ndata "$n")/gvwstate.dat" \
      && sed -i 's/^safe_to_bootstrap: 1/safe_to_bootstrap: 0/' "$(ndata "$n")/grastate.dat" \
      || { REASON="cannot copy the datadir to node $n"; return 1; }
  done
  galera_form_cluster || return 1
  log "$FL: cluster of ${#NODES[@]} formed in $(since "$t") after the datadir was made"
  galera_check init || return 1
  echo "$LAYOUT_VERSION" > "$FDIR/.initialized"
}

# Bootstraps node 1 (datadirs prepared by galera_init), then joins 2 and 3, one at a time: a donor
# serves one state transfer at a time.
galera_form_cluster() {
  local n
  GALERA_BOOTSTRAP=1 launch_node 1
  galera_wait_synced 1 60 1 || { REASON="node 1 did not bootstrap (log: $(nerrlog 1))"; return 1; }
  for n in "${NODES[@]:1}"; do
    launch_node "$n"
    galera_wait_synced "$n" 90 "$n" || { REASON="node $n did not join the cluster (log: $(nerrlog "$n"))"; return 1; }
  done
}

# Healthy = three nodes Synced in one Primary component, the users everywhere, and a row written on
# each node read on the two others (wsrep_sync_wait=1: the read waits until the node has applied it).
galera_check() {
  local n m out token
  REASON=
  for n in "${NODES[@]}"; do
    out=$(galera_state "$n")
    [[ $out == "Synced Primary ${#NODES[@]} ON" ]] || { REASON="node $n (port $(port_of "$n")) is not Synced in a Primary component of ${#NODES[@]} (state, status, size, ready: ${out:-no answer})"; return 1; }
    out=$(sql_root "$n" "$NODE_FACTS_SQL" 2>&1) || { REASON="node $n does not answer: $out"; return 1; }
    [[ ${out##*$'\t'} == 3 ]] || { REASON="node $n lacks the rr_* users"; return 1; }
  done
  sql_root 1 "CREATE DATABASE IF NOT EXISTS $DB; CREATE DATABASE IF NOT EXISTS $HEALTH_DB;
    CREATE TABLE IF NOT EXISTS $HEALTH_DB.probe (id INT PRIMARY KEY, token VARCHAR(100) NOT NULL)" \
    || { REASON="cannot create $DB / $HEALTH_DB.probe on node 1"; return 1; }
  for n in "${NODES[@]}"; do
    token="probe-n$n-$(date +%s%N)-$$"
    out=$(sql_root "$n" "REPLACE INTO $HEALTH_DB.probe VALUES ($n, '$token')" 2>&1) \
      || { REASON="probe write on node $n failed: $out"; return 1; }
    for m in "${NODES[@]}"; do
      [[ $m == "$n" ]] && continue
      out=$(sql_root "$m" "SET SESSION wsrep_sync_wait=1; SELECT token FROM $HEALTH_DB.probe WHERE id=$n" 2>&1)
      [[ $out == "$token" ]] || { REASON="node $m did not see node $n's probe row (got: ${out//$'\n'/ })"; return 1; }
    done
  done
  if [[ ${1:-} == init ]]; then
    for n in "${NODES[@]}"; do
      out=$(sql_tcp "$APP_USER" "$APP_PW" "$n" "CREATE TABLE $DB.rr_servers_probe_n$n (id INT PRIMARY KEY); DROP TABLE $DB.rr_servers_probe_n$n")
      [[ -z $out ]] || { REASON="$APP_USER cannot create/drop on node $n: $out"; return 1; }
    done
  fi
}

# Nodes to launch so that the cluster comes back: none running → the one Galera marked safe to
# bootstrap (the last one stopped cleanly) with --wsrep-new-cluster, then the others; some running →
# the missing ones join them (IST from the gcache, or SST).
galera_restart_missing() {
  local n running=() down=() boot=
  for n in "${NODES[@]}"; do if node_pid "$n" >/dev/null; then running+=("$n"); else down+=("$n"); fi; done
  (( ${#down[@]} )) || return 0
  ports_free || return 1
  if (( ${#running[@]} == 0 )); then
    for n in "${NODES[@]}"; do
      grep -qx 'safe_to_bootstrap: 1' "$(ndata "$n")/grastate.dat" 2>/dev/null && { boot=$n; break; }
    done
    [[ -n $boot ]] || { REASON="all nodes are down and none is safe to bootstrap (killed, not stopped)"; return 1; }
    GALERA_BOOTSTRAP=$boot launch_node "$boot"
    galera_wait_synced "$boot" 60 1 || { REASON="node $boot did not bootstrap again"; return 1; }
    running=("$boot"); down=("${down[@]/$boot}")
  fi
  # One joiner at a time, like init (a donor serves one state transfer at a time).
  for n in ${down[*]}; do
    GALERA_START_POS=$(galera_recovered_position "$n") launch_node "$n"
    galera_wait_synced "$n" 90 $(( ${#running[@]} + 1 )) || { REASON="node $n did not rejoin the cluster"; return 1; }
    running+=("$n")
  done
}

# start: reuse a healthy cluster, bring back missing nodes, else rebuild from scratch.
galera_start_flavor() {
  local t0 how=reused
  t0=$(now)
  use_flavor "$1"
  REASON=
  if ! ensure_binaries || ! galera_ensure_packages; then
    banner "FAILED to bring up the $FL cluster" "reason: ${REASON:-could not install the server or galera-4}" \
      "(ports $(port_of 1), $(port_of 2), $(port_of 3) are NOT available for tests)"
    return 1
  fi
  if [[ -f $FDIR/.initialized && $(cat "$FDIR/.initialized") == "$LAYOUT_VERSION" ]]; then
    local n; for n in "${NODES[@]}"; do node_pid "$n" >/dev/null || how=restarted; done
    if galera_restart_missing && galera_check; then
      log "$FL: $how healthy cluster in $(since "$t0") (ports $(port_of 1), $(port_of 2), $(port_of 3))"
      return 0
    fi
    log "$FL: existing cluster is not usable: $REASON"
    log "$FL: wiping it and initialising from scratch"
  fi
  REASON=
  if galera_init; then
    log "$FL: initialised fresh cluster in $(since "$t0") (ports $(port_of 1), $(port_of 2), $(port_of 3))"
    return 0
  fi
  banner "FAILED to bring up the $FL cluster" "reason: $REASON" \
    "state dir: $FDIR (error logs: $FDIR/n*/error.log)" \
    "(ports $(port_of 1), $(port_of 2), $(port_of 3) are NOT available for tests)"
  return 1
}

galera_status_flavor() {
  use_flavor "$1"
  "${F}_have_binaries" && [[ -r $GALERA_PROVIDER ]] || { echo "$F: server or galera-4 not installed"; return; }
  local n pid line out
  for n in "${NODES[@]}"; do
    line=$(printf '%-7s n%s 127.0.0.1:%s gcomm:%s' "$F" "$n" "$(port_of "$n")" "$(galera_gcomm_port "$n")")
    if ! pid=$(node_pid "$n"); then echo "$line  DOWN"; continue; fi
    out=$(sql_root "$n" "SELECT CONCAT('state=', MAX(IF(variable_name='WSREP_LOCAL_STATE_COMMENT', variable_value, NULL)),
        ' cluster=', MAX(IF(variable_name='WSREP_CLUSTER_STATUS', variable_value, NULL)),
        ' size=', MAX(IF(variable_name='WSREP_CLUSTER_SIZE', variable_value, NULL)),
        ' ready=', MAX(IF(variable_name='WSREP_READY', variable_value, NULL)),
        ' recv_queue=', MAX(IF(variable_name='WSREP_LOCAL_RECV_QUEUE', variable_value, NULL)),
        ' flow_control_paused=', MAX(IF(variable_name='WSREP_FLOW_CONTROL_PAUSED', variable_value, NULL)))
      FROM information_schema.global_status WHERE variable_name LIKE 'WSREP\_%';
      SELECT CONCAT('last_seen_gtid=', WSREP_LAST_SEEN_GTID())" 2>&1 | tr '\n' ' ') \
      || { echo "$line  pid=$pid NOT ANSWERING: $out"; continue; }
    echo "$line  pid=$pid $out"
  done
}
