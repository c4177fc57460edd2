# MySQL Group Replication set for servers.sh (sourced, not run): RR_SERVERS_SET=gr.
#
# Three MySQL 9.7 members on 127.0.0.1:3351-3353 form one group (XCom on 127.0.0.1:33511-33513).
# Single-primary by default; RR_GR_MODE=multi builds (or rebuilds) a multi-primary group instead.
# The group elects its primary; `start` asks it to elect node 1 when it runs healthy otherwise, so
# the configured order (primary first) holds after a failover test.
# shellcheck shell=bash disable=SC2034  # (globals set here are read by servers.sh)

GR_GROUP_NAME=15151515-0000-4000-8000-000000000015   # any UUID; the same on every member
gr_xcom_port() { echo $((33510 + $1)); }
gr_mode() { if [[ ${RR_GR_MODE:-single} == multi ]]; then echo multi; else echo single; fi; }

# Appended to mysql_server_args by launch_node. Every member starts super_read_only: a member outside
# the group must never take a write; GR lifts it on the primary (on every member in multi-primary).
gr_server_args() {
  local n=$1 seeds="" m single=ON update_everywhere=OFF
  for m in "${NODES[@]}"; do seeds+=${seeds:+,}127.0.0.1:$(gr_xcom_port "$m"); done
  [[ $(gr_mode) == multi ]] && { single=OFF; update_everywhere=ON; }
  local args=() a
  for a in "${SARGS[@]}"; do [[ $a == --read-only=ON || $a == --super-read-only=ON ]] || args+=("$a"); done
  SARGS=("${args[@]}" --read-only=ON --super-read-only=ON
    --plugin-load-add=group_replication.so
    --group-replication-group-name="$GR_GROUP_NAME"
    --group-replication-local-address="127.0.0.1:$(gr_xcom_port "$n")"
    --group-replication-group-seeds="$seeds"
    --group-replication-ip-allowlist=127.0.0.1
    # Started by this script (bootstrap or join), never by the server itself: a restarted member
    # must not bootstrap a second group nor join one that lost its quorum.
    --group-replication-start-on-boot=OFF --group-replication-bootstrap-group=OFF
    --group-replication-single-primary-mode="$single"
    --group-replication-enforce-update-everywhere-checks="$update_everywhere"
    # Distributed recovery as rr_repl (caching_sha2_password without TLS: fetch the donor's RSA key).
    --group-replication-recovery-get-public-key=ON
    # Expel a silent member as soon as it is suspected (~5 s), so a killed primary is replaced fast.
    --group-replication-member-expel-timeout=0
    --group-replication-autorejoin-tries=0)
}

# This member's view: "<own state> <own role> <ONLINE members> <members>" (OFFLINE when GR is stopped).
gr_view() {
  sql_root "$1" "SELECT
      COALESCE((SELECT MEMBER_STATE FROM performance_schema.replication_group_members WHERE MEMBER_ID=@@server_uuid), 'OFFLINE'),
      COALESCE(NULLIF((SELECT MEMBER_ROLE FROM performance_schema.replication_group_members WHERE MEMBER_ID=@@server_uuid), ''), '-'),
      (SELECT COUNT(*) FROM performance_schema.replication_group_members WHERE MEMBER_STATE='ONLINE'),
      (SELECT COUNT(*) FROM performance_schema.replication_group_members WHERE MEMBER_ID<>'')" 2>/dev/null
}

# Waits (bounded) until node $1 is ONLINE (RECOVERING while it catches up from a donor).
gr_wait_online() {
  local n=$1 t0=$SECONDS st
  while :; do
    read -r st _ <<<"$(gr_view "$n")"
    [[ $st == ONLINE ]] && return 0
    if [[ $st == ERROR ]] || (( SECONDS - t0 >= 60 )); then
      REASON="member node $n (port $(port_of "$n")) is $st, not ONLINE (error log: $(nerrlog "$n"))"; return 1
    fi
    sleep 0.2
  done
}

# What the library's probe reads on a member, beyond what every user may read (rr_app is the monitor too).
gr_monitor_grants() {
  local t
  for t in replication_group_members replication_group_member_stats replication_applier_status_by_worker; do
    echo "GRANT SELECT ON performance_schema.$t TO '$APP_USER'@'%';"
  done
}

gr_bootstrap() {
  local out
  out=$(sql_root "$1" "SET GLOBAL group_replication_bootstrap_group=ON; START GROUP_REPLICATION;
          SET GLOBAL group_replication_bootstrap_group=OFF" 2>&1) \
    || { REASON="bootstrapping the group on node $1 failed: $out"; return 1; }
  gr_wait_online "$1"
}

gr_join() {
  local out
  # A member in ERROR (expelled, or failed to join) must leave before it can join again.
  out=$(sql_root "$1" "STOP GROUP_REPLICATION; START GROUP_REPLICATION" 2>&1) \
    || { REASON="node $1 (port $(port_of "$1")) could not join the group: $out"; return 1; }
}

# The member (node number) whose gtid_executed contains every other member's: the one to bootstrap.
gr_most_advanced() {
  local n m sets=() ok
  for n in "${NODES[@]}"; do sets[n]=$(sql_root "$n" "$PRIMARY_POS_SQL") || return 1; done
  for n in "${NODES[@]}"; do
    ok=1
    for m in "${NODES[@]}"; do
      [[ $(sql_root "$n" "SELECT GTID_SUBSET('${sets[m]}', '${sets[n]}')") == 1 ]] || { ok=0; break; }
    done
    (( ok )) && { echo "$n"; return 0; }
  done
  return 1
}

# Brings every member into one group: joins the stopped ones to a group that still has its quorum,
# or bootstraps again from the most advanced member when none runs the group.
gr_assemble() {
  local n st role online members quorum=""
  for n in "${NODES[@]}"; do
    read -r st role online members <<<"$(gr_view "$n")"
    if [[ $st == ONLINE ]] && (( online * 2 > members )); then quorum=$n; break; fi
  done
  if [[ -z $quorum ]]; then
    for n in "${NODES[@]}"; do
      read -r st _ <<<"$(gr_view "$n")"
      # A minority still running the group (its peers were killed) cannot take joiners: it leaves the group, and the
      # most advanced member starts it again below. (Test set only: on a real cluster this is an operator's decision.)
      if [[ $st != OFFLINE && $st != ERROR ]]; then
        log "$FL: node $n is $st in a group without quorum: stopping its group replication"
        sql_root "$n" "STOP GROUP_REPLICATION" >/dev/null 2>&1 || { REASON="node $n ($st, no quorum) did not leave its group"; return 1; }
      fi
    done
    quorum=$(gr_most_advanced) || { REASON="no member holds every other member's transactions"; return 1; }
    log "$FL: no member runs the group: bootstrapping it again on node $quorum"
    gr_bootstrap "$quorum" || return 1
  fi
  for n in "${NODES[@]}"; do
    read -r st _ <<<"$(gr_view "$n")"
    [[ $st == ONLINE ]] || gr_join "$n" || return 1
  done
  for n in "${NODES[@]}"; do gr_wait_online "$n" || return 1; done
}

# Healthy: three ONLINE members in the requested mode, node 1 the primary (single-primary; asked
# for when another member was elected), a probe row written on node 1 read on the others, rr_app
# refused (1290) on a secondary.
gr_check() {
  local mode=${1:-} n out st role online members single
  REASON=
  for n in "${NODES[@]}"; do
    out=$(sql_root "$n" "$NODE_FACTS_SQL" 2>&1) || { REASON="node $n (port $(port_of "$n")) does not answer: $out"; return 1; }
    [[ $(awk '{print $3}' <<<"$out") == 3 ]] || { REASON="node $n lacks the rr_* users"; return 1; }
    read -r st role online members <<<"$(gr_view "$n")"
    [[ $st == ONLINE && $online == 3 && $members == 3 ]] \
      || { REASON="node $n (port $(port_of "$n")) is $st and sees $online of $members members ONLINE"; return 1; }
  done
  single=$(sql_root 1 "SELECT @@global.group_replication_single_primary_mode")
  if [[ $(gr_mode) == single && $single != 1 ]] || [[ $(gr_mode) == multi && $single != 0 ]]; then
    REASON="the group is not in $(gr_mode)-primary mode"; return 1
  fi
  if [[ $(gr_mode) == single ]]; then
    read -r _ role _ <<<"$(gr_view 1)"
    if [[ $role != PRIMARY ]]; then
      log "$FL: node 1 is a secondary: asking the group to elect it"
      out=$(sql_root 1 "SELECT group_replication_set_as_primary(@@server_uuid)" 2>&1) \
        || { REASON="could not make node 1 the primary: $out"; return 1; }
    fi
  fi
  [[ $(sql_root 1 "SELECT @@global.super_read_only") == 0 ]] || { REASON="node 1 is still read-only"; return 1; }

  out=$(sql_root 1 "CREATE DATABASE IF NOT EXISTS $DB; CREATE DATABASE IF NOT EXISTS $HEALTH_DB;
          CREATE TABLE IF NOT EXISTS $HEALTH_DB.probe (id INT PRIMARY KEY, token VARCHAR(100) NOT NULL)" 2>&1) \
    || { REASON="cannot create $DB / $HEALTH_DB.probe on node 1: $out"; return 1; }
  local token pos
  token="probe-$(date +%s%N)-$$"
  out=$(sql_root 1 "REPLACE INTO $HEALTH_DB.probe VALUES (1, '$token'); $PRIMARY_POS_SQL" 2>&1) \
    || { REASON="probe write on node 1 failed: $out"; return 1; }
  pos=$(printf '%s' "$out" | tr -d ' \n\r\t')
  for n in "${NODES[@]:1}"; do
    out=$(sql_root "$n" "$(mysql_wait_sql "$pos" 15); SELECT token FROM $HEALTH_DB.probe WHERE id=1" 2>&1)
    [[ $out == "0"$'\n'"$token" ]] \
      || { REASON="member node $n did not apply node 1's position within 15 s (got: ${out//$'\n'/ })"; return 1; }
  done
  if [[ $(gr_mode) == single ]]; then
    for n in "${NODES[@]:1}"; do
      out=$(sql_tcp "$APP_USER" "$APP_PW" "$n" "CREATE TABLE $DB.rr_servers_ro_probe (id INT PRIMARY KEY)")
      [[ $out == *"ERROR 1290"* ]] || { REASON="$APP_USER could write on secondary node $n (or failed differently): $out"; return 1; }
    done
  fi
  if [[ $mode == init ]]; then
    out=$(sql_tcp "$APP_USER" "$APP_PW" 1 "CREATE DATABASE rr_test_servers_probe; DROP DATABASE rr_test_servers_probe;
            CREATE TABLE $DB.rr_servers_probe (id INT PRIMARY KEY); DROP TABLE $DB.rr_servers_probe")
    [[ -z $out ]] || { REASON="$APP_USER cannot create/drop on node 1: $out"; return 1; }
  fi
}

gr_init() {
  local n pids=() ok=1 out
  wipe_flavor || return 1
  ports_free || return 1
  for n in "${NODES[@]}"; do mkdir -p "$(ndir "$n")/tmp" && install -d -m 700 "$(ndir "$n")/files"; done
  check_socket_paths || return 1
  for n in "${NODES[@]}"; do "${F}_init_datadir" "$n" >"$(ndir "$n")/init.log" 2>&1 & pids+=($!); done
  for n in "${NODES[@]}"; do
    if ! wait "${pids[n-1]}"; then
      log "$FL: initialising the datadir of node $n failed:"; tail_of "$(ndir "$n")/init.log" 25 >&2; ok=0
    fi
  done
  (( ok )) || { REASON="datadir initialisation failed (see $FDIR/n*/init.log)"; return 1; }
  for n in "${NODES[@]}"; do launch_node "$n"; done
  for n in "${NODES[@]}"; do wait_node_up "$n" 60 || { REASON="node $n did not start (log: $(nerrlog "$n"))"; return 1; }; done
  # Users with the binlog off (no GTIDs of their own, so no member has transactions the group lacks),
  # and the credentials distributed recovery uses on every member (any member may join later).
  for n in "${NODES[@]}"; do
    out=$(sql_root "$n" "$(mysql_users_sql 2)
      SET GLOBAL super_read_only=OFF; SET SESSION sql_log_bin=0;
      $(gr_monitor_grants)
      SET GLOBAL super_read_only=ON;
      CHANGE REPLICATION SOURCE TO SOURCE_USER='$REPL_USER', SOURCE_PASSWORD='$REPL_PW' FOR CHANNEL 'group_replication_recovery';" 2>&1) \
      || { REASON="creating users on node $n failed: $out"; return 1; }
  done
  gr_bootstrap 1 || return 1
  for n in "${NODES[@]:1}"; do gr_join "$n" || return 1; done
  for n in "${NODES[@]:1}"; do gr_wait_online "$n" || return 1; done
  gr_check init || return 1
  echo "$LAYOUT_VERSION $(gr_mode)" > "$FDIR/.initialized"
}

# start: reuse a healthy group, rejoin stopped or killed members, rebuild when anything else is off.
gr_start_flavor() {
  local t0 n how=reused down=() rc
  t0=$(now)
  use_flavor "$1"
  REASON=
  if ! ensure_binaries; then
    banner "FAILED to bring up the $FL topology" "reason: ${REASON:-could not install/fetch the server binaries}" \
      "(ports $(port_of 1), $(port_of 2), $(port_of 3) are NOT available for tests)"
    return 1
  fi
  if [[ ! -f $MYROOT/usr/lib/mysql/plugin/group_replication.so ]]; then
    banner "FAILED to bring up the $FL topology" "reason: the unpacked MySQL has no group_replication.so" \
      "(ports $(port_of 1), $(port_of 2), $(port_of 3) are NOT available for tests)"
    return 1
  fi
  if [[ -f $FDIR/.initialized && $(cat "$FDIR/.initialized") == "$LAYOUT_VERSION $(gr_mode)" ]]; then
    for n in "${NODES[@]}"; do
      if node_pid "$n" >/dev/null; then
        wait_node_up "$n" 60 quiet; rc=$?
        (( rc == 2 )) && down+=("$n")
        (( rc == 1 )) && REASON="node $n (port $(port_of "$n")) runs but does not answer"
      else
        down+=("$n")
      fi
    done
    if [[ -z $REASON ]] && (( ${#down[@]} )); then
      how=restarted
      if ports_free; then for n in "${down[@]}"; do launch_node "$n"; done; fi
      for n in "${down[@]}"; do wait_node_up "$n" 60 || { REASON="node $n did not start"; break; }; done
    fi
    [[ -n $REASON ]] || gr_assemble
    if [[ -z $REASON ]] && gr_check; then
      log "$FL: $how healthy $(gr_mode)-primary group in $(since "$t0") (ports $(port_of 1) primary, $(port_of 2), $(port_of 3))"
      return 0
    fi
    log "$FL: existing group is not usable: $REASON"
    log "$FL: wiping it and initialising from scratch"
  fi
  REASON=
  if gr_init; then
    log "$FL: initialised fresh $(gr_mode)-primary group in $(since "$t0") (ports $(port_of 1) primary, $(port_of 2), $(port_of 3))"
    return 0
  fi
  banner "FAILED to bring up the $FL topology" "reason: $REASON" \
    "state dir: $FDIR (error logs: $FDIR/n*/error.log)" \
    "(ports $(port_of 1), $(port_of 2), $(port_of 3) are NOT available for tests)"
  return 1
}

gr_status_flavor() {
  use_flavor "$1"
  if ! "${F}_have_binaries"; then echo "$F: server binaries not installed/fetched"; return; fi
  local n pid line out st role online members ro gtid
  for n in "${NODES[@]}"; do
    line=$(printf '%-7s n%s 127.0.0.1:%s xcom:%s' "$F" "$n" "$(port_of "$n")" "$(gr_xcom_port "$n")")
    if ! pid=$(node_pid "$n"); then echo "$line  DOWN"; continue; fi
    out=$(gr_view "$n") || { echo "$line  pid=$pid NOT ANSWERING"; continue; }
    read -r st role online members <<<"$out"
    ro=$(sql_root "$n" "SELECT @@global.super_read_only")
    gtid=$(sql_root "$n" "$PRIMARY_POS_SQL")
    echo "$line  pid=$pid state=$st role=$role sees=$online/$members online super_read_only=$ro gtid=$gtid"
  done
}
