# MariaDB 10.11 hooks for servers.sh (sourced, not run). Binaries come from Debian's own packages.
# shellcheck shell=bash disable=SC2034  # (globals set here are read by servers.sh)

MARIADBD=/usr/sbin/mariadbd

mariadb_have_binaries() {
  [[ -x $MARIADBD ]] && command -v mariadb >/dev/null && command -v mariadb-install-db >/dev/null || return 1
  CLIENT=(mariadb --no-defaults)
  HAVE_CLIENT=1
  mariadb_sql_snippets
}

# Installs mariadb-server when missing. No service is started by the package here (policy-rc.d);
# where one is, it listens on 3306 and does not disturb us.
mariadb_ensure_binaries() {
  mariadb_have_binaries && return 0
  if [[ $EUID != 0 ]]; then
    REASON="mariadbd is not installed and we are not root: run 'apt-get install mariadb-server' as root"
    return 1
  fi
  local aptlog=$RR_HOME/apt-mariadb.log t0
  t0=$(now)
  : > "$aptlog"
  export DEBIAN_FRONTEND=noninteractive
  # A fresh machine/image often has no package lists at all: update once, only when needed.
  if ! apt-cache show mariadb-server >/dev/null 2>&1; then
    log "mariadb: apt-get update"
    apt-get -q update >>"$aptlog" 2>&1 8>&- 9>&- || { REASON="apt-get update failed (log: $aptlog)"; tail_of "$aptlog" >&2; return 1; }
  fi
  log "mariadb: apt-get install mariadb-server"
  # Lock timeout: wait for a concurrent apt/dpkg (e.g. unattended-upgrades) instead of failing.
  # fds 8, 9 (our locks) closed: where the package starts a system service, it must not inherit them.
  if ! apt-get -q -y -o DPkg::Lock::Timeout=300 -o Dpkg::Use-Pty=0 install mariadb-server >>"$aptlog" 2>&1 9>&-; then
    REASON="apt-get install mariadb-server failed (log: $aptlog)"; tail_of "$aptlog" >&2; return 1
  fi
  log "mariadb: installed in $(since "$t0")"
  mariadb_have_binaries || { REASON="mariadb-server installed but mariadbd/mariadb/mariadb-install-db not found"; return 1; }
}

mariadb_sql_snippets() {
  REPL_STATUS_SQL="SHOW SLAVE STATUS"
  F_IO=Slave_IO_Running F_SQL=Slave_SQL_Running F_HOST=Master_Host F_PORT=Master_Port
  F_GTIDMODE=Using_Gtid F_GTIDMODE_OK=Slave_Pos
  # read_only, super_read_only (MariaDB has none: "-"), number of our users
  NODE_FACTS_SQL="SELECT @@global.read_only, '-',
    (SELECT COUNT(*) FROM mysql.global_priv WHERE user IN ('$APP_USER','$ADMIN_USER','$REPL_USER') AND host='%')"
  # The primary's position after its last commit (gtid_strict_mode: one domain, in order).
  PRIMARY_POS_SQL="SELECT @@global.gtid_binlog_pos"
  # Semi-sync (failover set): enabled as source, as replica; as a source: clients, status, yes_tx.
  SEMI_VARS_SQL="SELECT @@global.rpl_semi_sync_master_enabled, @@global.rpl_semi_sync_slave_enabled"
  SEMI_STATUS_SQL="SELECT
    MAX(IF(variable_name='RPL_SEMI_SYNC_MASTER_CLIENTS', variable_value, NULL)),
    MAX(IF(variable_name='RPL_SEMI_SYNC_MASTER_STATUS', variable_value, NULL)),
    MAX(IF(variable_name='RPL_SEMI_SYNC_MASTER_YES_TX', variable_value, NULL))
    FROM information_schema.global_status WHERE variable_name LIKE 'RPL\_SEMI\_SYNC\_MASTER\_%'"
}
# Semi-synchronous replication is built into MariaDB 10.11's server (no plugin to load).
mariadb_semi_sync_available() { return 0; }
# MASTER_GTID_WAIT: 0 = reached, -1 = timeout (also when the SQL thread is stopped or broken).
mariadb_wait_sql() { echo "SELECT MASTER_GTID_WAIT('$1', $2)"; }

# --no-defaults first (else /etc/mysql leaks in); own tmpdir: parallel installs sharing /tmp collide.
mariadb_init_datadir() {
  local n=$1 asroot=()
  [[ $EUID == 0 ]] && asroot=(--user=root)
  mariadb-install-db --no-defaults "${asroot[@]}" \
    --datadir="$(ndata "$n")" --tmpdir="$(ndir "$n")/tmp" \
    --auth-root-authentication-method=socket --skip-test-db --skip-name-resolve
}

mariadb_server_args() {
  local n=$1 port; port=$(port_of "$n")
  SARGS=("$MARIADBD" --no-defaults)
  [[ $EUID == 0 ]] && SARGS+=(--user=root)           # as root mariadbd aborts without it
  # --log-basename must precede the log/binlog/relay options or it silently overrides them.
  SARGS+=(--log-basename="n$n"
    --datadir="$(ndata "$n")" --tmpdir="$(ndir "$n")/tmp" --socket="$(nsock "$n")" --pid-file="$(npidfile "$n")"
    --port="$port" --bind-address=127.0.0.1 --skip-name-resolve
    --log-error="$(nerrlog "$n")" --secure-file-priv="$(ndir "$n")/files"
    # server-id = port: unique across both flavors, and GTIDs (0-3311-42) tell which node wrote them.
    --server-id="$port" --report-host=127.0.0.1 --report-port="$port"
    # Binlog and relay log names derive from --log-basename: n1-bin.*, n1-relay-bin.*
    --log-bin --binlog-format=ROW --log-slave-updates=ON --gtid-strict-mode=ON
    # Tests kill primaries: notice a dead primary within seconds. Shared set: 5 s (heartbeat = half
    # of it). Failover set: 2 s, with a 1 s heartbeat set in CHANGE MASTER (mariadb_wire_sql).
    --slave-net-timeout="$(( FAST_DETECT ? 2 : 5 ))"
    # MariaDB 10.11 defaults to latin1; the tests (and MySQL 9.7) expect utf8mb4.
    --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci
    # Six servers share the machine: keep memory modest.
    --innodb-buffer-pool-size=64M --max-connections=300)
  # Not persisted by the server: the role's read-only flag is given at every start.
  [[ $n == 1 ]] || SARGS+=(--read-only=ON)
  # Failover set: semi-sync on EVERY node and on both sides, so that a promoted replica is at once a
  # semi-sync primary and the repointed replicas ACK to it. A commit waits at most 2 s for an ACK,
  # then the primary falls back to async by itself (Rpl_semi_sync_master_status=OFF) and switches
  # back once a replica has caught up. Given at start, so the replicas' IO threads start semi-sync
  # (enabling it later needs an IO thread restart).
  # wait-no-slave=OFF: with the default (ON) a source that has NO semi-sync replica connected still
  # waits the full timeout once. The replicas are sources too here (log-slave-updates), so each
  # replica's SQL thread stalled 2 s on the first transaction it applied (measured: "Timeout waiting
  # for reply of binlog" in the replica's error log, reset 4.4 s instead of 1.7 s). With OFF a source
  # without semi-sync replicas commits asynchronously at once; a primary WITH connected ones still
  # waits for an ACK (up to the timeout).
  if semi_on; then
    SARGS+=(--rpl-semi-sync-master-enabled=ON --rpl-semi-sync-slave-enabled=ON --rpl-semi-sync-master-timeout=2000
      --rpl-semi-sync-master-wait-no-slave=OFF)
  fi
}

mariadb_users_sql() {
  cat <<SQL
SET SESSION sql_log_bin=0;
DROP USER IF EXISTS ''@'localhost', ''@'$(hostname)';
CREATE OR REPLACE USER '$APP_USER'@'%' IDENTIFIED BY '$APP_PW';
GRANT $APP_DB_PRIVS ON \`$DB\`.* TO '$APP_USER'@'%';
GRANT $APP_DB_PRIVS ON \`rr\\_test\\_%\`.* TO '$APP_USER'@'%';
-- SLAVE MONITOR: SHOW SLAVE/REPLICA STATUS; REPLICATION CLIENT (= BINLOG MONITOR): SHOW MASTER STATUS.
GRANT REPLICATION CLIENT, SLAVE MONITOR, PROCESS ON *.* TO '$APP_USER'@'%';
CREATE OR REPLACE USER '$ADMIN_USER'@'%' IDENTIFIED BY '$ADMIN_PW';
GRANT ALL PRIVILEGES ON *.* TO '$ADMIN_USER'@'%' WITH GRANT OPTION;
CREATE OR REPLACE USER '$REPL_USER'@'%' IDENTIFIED BY '$REPL_PW';
GRANT REPLICATION SLAVE ON *.* TO '$REPL_USER'@'%';
SQL
}

mariadb_wire_sql() {
  # Failover set: a heartbeat every second (with slave_net_timeout=2) detects a dead primary in ~2 s.
  local heartbeat=
  (( FAST_DETECT )) && heartbeat=", MASTER_HEARTBEAT_PERIOD=1"
  cat <<SQL
CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$(port_of 1), MASTER_USER='$REPL_USER',
  MASTER_PASSWORD='$REPL_PW', MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1$heartbeat;
START SLAVE;
SQL
}
