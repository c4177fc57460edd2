# MySQL 9.7 hooks for servers.sh (sourced, not run).
#
# Debian bookworm has no MySQL; sid ships mysql-server-core 9.7 but built against a newer glibc and
# libstdc++. So we fetch it with a PRIVATE apt configuration (the system's sources, lists and status
# stay untouched), unpack the server, its client and their whole library closure into our own root,
# and run the binaries through that root's own dynamic loader. Nothing is installed system-wide.
# shellcheck shell=bash disable=SC2034  # (globals set here are read by servers.sh)

MYSID=$RR_HOME/mysql-sid           # private apt state + the unpacked root (shared by all clones)
MYROOT=$MYSID/root

mysql_arch_setup() {
  MY_ARCH=$(dpkg --print-architecture)
  case $MY_ARCH in
    amd64) MY_TRIPLET=x86_64-linux-gnu  MY_LDSO=ld-linux-x86-64.so.2 ;;
    arm64) MY_TRIPLET=aarch64-linux-gnu MY_LDSO=ld-linux-aarch64.so.1 ;;
    *) REASON="unsupported architecture $MY_ARCH"; return 1 ;;
  esac
  # Root libraries first (they are one consistent sid set), system ones only as a fallback.
  LOADER=("$MYROOT/usr/lib/$MY_TRIPLET/$MY_LDSO" --library-path
    "$MYROOT/usr/lib/$MY_TRIPLET:$MYROOT/lib/$MY_TRIPLET:/usr/lib/$MY_TRIPLET:/lib/$MY_TRIPLET")
}

mysql_have_binaries() {
  [[ -f $MYROOT/.rr-complete ]] || return 1
  mysql_arch_setup || return 1
  # Its own client: guaranteed to speak caching_sha2_password (and TLS) with its own server.
  CLIENT=("${LOADER[@]}" "$MYROOT/usr/bin/mysql" --no-defaults --character-sets-dir="$MYROOT/usr/share/mysql/charsets")
  HAVE_CLIENT=1
  mysql_sql_snippets
}

mysql_ensure_binaries() {
  mysql_have_binaries && return 0
  local t0; t0=$(now)
  mysql_fetch_root || return 1
  log "mysql: fetched and unpacked MySQL from sid in $(since "$t0")"
  mysql_have_binaries || { REASON="the unpacked MySQL root at $MYROOT is incomplete"; return 1; }
}

# ---------------------------------------------------------------------------------------------- fetching

# The Debian archive this machine already uses: the deb822 or one-line entry for the release's own
# suite (not -security/-updates) with component main. Prints "URI<TAB>keyring".
debian_mirror() {
  local codename
  codename=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
  [[ -n $codename ]] || { echo "cannot read VERSION_CODENAME from /etc/os-release" >&2; return 1; }
  local hit=""
  if [[ -n ${RR_DEBIAN_MIRROR:-} ]]; then hit=$RR_DEBIAN_MIRROR$'\t'
  else
    local f
    for f in /etc/apt/sources.list.d/*.sources; do
      [[ -r $f ]] || continue
      hit=$(awk -v code="$codename" '
        function flush() {
          if (!found && (" " types " ") ~ / deb / && (" " suites " ") ~ (" " code " ") \
              && (" " comps " ") ~ / main / && tolower(enabled) != "no" && uri ~ /^https?:\/\//) {
            print uri "\t" key; found = 1
          }
          types = suites = comps = enabled = uri = key = ""
        }
        /^[ \t]*#/ { next }
        /^[ \t]*$/ { flush(); next }
        /^[A-Za-z-]+:/ {
          field = tolower(substr($0, 1, index($0, ":") - 1))
          val = substr($0, index($0, ":") + 1); gsub(/^[ \t]+|[ \t]+$/, "", val)
          if (field == "types") types = val
          else if (field == "uris") { split(val, a, " "); uri = a[1] }
          else if (field == "suites") suites = val
          else if (field == "components") comps = val
          else if (field == "enabled") enabled = val
          else if (field == "signed-by" && val ~ /^\//) key = val
        }
        END { flush() }' "$f")
      [[ -n $hit ]] && break
    done
    if [[ -z $hit && -r /etc/apt/sources.list ]]; then
      hit=$(awk -v code="$codename" '
        $1 == "deb" {
          i = 2; opts = ""
          if ($2 ~ /^\[/) { while (i < NF && $i !~ /\]$/) { opts = opts " " $i; i++ } opts = opts " " $i; i++ }
          comps = " "; for (j = i + 2; j <= NF; j++) comps = comps $j " "
          if ($(i + 1) == code && comps ~ / main / && $i ~ /^https?:\/\//) {
            key = ""; if (match(opts, /signed-by=[^] ]+/)) key = substr(opts, RSTART + 10, RLENGTH - 10)
            print $i "\t" key; exit
          }
        }' /etc/apt/sources.list)
    fi
  fi
  [[ -n $hit ]] || { echo "no Debian '$codename main' entry in /etc/apt/sources.list{,.d/*.sources} (set RR_DEBIAN_MIRROR)" >&2; return 1; }
  local uri=${hit%%$'\t'*} key=${hit#*$'\t'}
  [[ -n $key && -r $key ]] || key=/usr/share/keyrings/debian-archive-keyring.gpg
  printf '%s\t%s\n' "${uri%/}" "$key"
}

# Private apt: own sources/lists/cache/status. Only the Packages index (no DEP-11/translations);
# an empty status file so the resolver ignores what bookworm has installed; sandbox user root
# because _apt cannot enter $HOME. The system's apt.conf.d still applies (proxies etc.).
mysql_apt_setup() {
  local mirror key a=$MYSID/apt
  IFS=$'\t' read -r mirror key < <(debian_mirror) || return 1
  [[ -n $mirror ]] || return 1
  mkdir -p "$a/lists/partial" "$a/cache/archives/partial" "$a/sources.list.d" "$a/preferences.d"
  : > "$a/status"
  echo "deb [signed-by=$key] $mirror sid main" > "$a/sources.list"
  MY_MIRROR=$mirror
  APT_OPTS=(-o "Dir::Etc::SourceList=$a/sources.list" -o "Dir::Etc::SourceParts=$a/sources.list.d"
    -o "Dir::Etc::Preferences=$a/preferences" -o "Dir::Etc::PreferencesParts=$a/preferences.d"
    -o "Dir::State::Lists=$a/lists" -o "Dir::State::status=$a/status" -o "Dir::Cache=$a/cache"
    -o "APT::Architecture=$MY_ARCH" -o "APT::Architectures=$MY_ARCH" -o Acquire::Languages=none
    -o Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false
    -o Acquire::IndexTargets::deb::DEP-11-icons::DefaultEnabled=false
    -o Acquire::IndexTargets::deb::DEP-11-icons-small::DefaultEnabled=false
    -o Acquire::IndexTargets::deb::DEP-11-icons-hidpi::DefaultEnabled=false
    -o APT::Sandbox::User=root -o Acquire::Retries=3
    # Docker-style images disable apt's binary cache; without it every apt-cache call re-parses the index.
    -o Dir::Cache::pkgcache=pkgcache.bin -o Dir::Cache::srcpkgcache=srcpkgcache.bin)
}

# Libraries only: perl (needed by helper scripts, not by mysqld/mysql) and other tools are skipped.
mysql_is_library_pkg() {
  [[ $1 =~ ^(lib|zlib) && ! $1 =~ ^libperl ]] || [[ $1 =~ ^gcc-[0-9]+-base$ ]]
}

# Walks Depends/Pre-Depends from the server and client packages through the sid index, keeping
# library packages. Taken from the index (not a fixed list) so renamed sonames in sid just work.
# For "a | b" the first alternative is taken; for a virtual package its first provider.
mysql_resolve_packages() {
  local -A seen=()
  local queue=(mysql-server-core mysql-client-core) all=() p out
  for p in "${queue[@]}"; do seen[$p]=1; all+=("$p"); done
  while (( ${#queue[@]} )); do
    out=$(apt-cache "${APT_OPTS[@]}" depends --no-recommends --no-suggests --no-conflicts \
          --no-breaks --no-replaces --no-enhances "${queue[@]}") || return 1
    queue=()
    while read -r p; do
      p=${p%%:*}
      [[ -z ${seen[$p]:-} ]] || continue
      seen[$p]=1
      mysql_is_library_pkg "$p" || continue
      queue+=("$p"); all+=("$p")
    done < <(printf '%s\n' "$out" | awk '
      /^[^ ]/ { alt = 0; want = 0; next }                       # a package header line
      /^  \|?(Pre)?Depends: / {
        isalt = ($1 ~ /^\|/)
        if (!alt) { if ($2 ~ /^</) want = 1; else { print $2; want = 0 } } else want = 0
        alt = isalt; next
      }
      /^    [^ ]/ { if (want) { print $1; want = 0 } next }     # provider of a virtual package
      /^  / { alt = 0; want = 0 }')
  done
  printf '%s\n' "${all[@]}"
}

mysql_fetch_fail() {
  REASON="could not fetch MySQL 9.7 from the Debian sid archive (${MY_MIRROR:-mirror unknown}): $1 (log: $MYSID/fetch.log)"
  tail_of "$MYSID/fetch.log" 15 >&2
  return 1
}

mysql_fetch_root() {
  mysql_arch_setup || return 1
  mkdir -p "$MYSID"
  local flog=$MYSID/fetch.log
  : > "$flog"
  mysql_apt_setup 2>>"$flog" || { mysql_fetch_fail "no Debian mirror found in the apt sources"; return 1; }
  log "mysql: fetching MySQL 9.7 from $MY_MIRROR sid (private apt state in $MYSID/apt)"
  # Always refresh the index before a fetch: sid changes daily and old .debs vanish from the mirror.
  apt-get "${APT_OPTS[@]}" -q update >>"$flog" 2>&1 || { mysql_fetch_fail "apt-get update (sid) failed"; return 1; }
  local pkgs
  pkgs=$(mysql_resolve_packages 2>>"$flog")
  if [[ -z $pkgs ]]; then
    mysql_fetch_fail "resolving mysql-server-core's libraries in the sid index failed"; return 1
  fi
  pkgs=${pkgs//$'\n'/ }
  printf 'resolved: %s\n' "$pkgs" >>"$flog"
  log "mysql: packages: $pkgs"

  local debs=$MYSID/debs
  rm -rf "$debs"; mkdir -p "$debs"
  # shellcheck disable=SC2086  # one word per package
  (cd "$debs" && apt-get "${APT_OPTS[@]}" -q download $pkgs) >>"$flog" 2>&1 \
    || { mysql_fetch_fail "apt-get download failed"; return 1; }

  # Unpack into a temporary root, then rename: an interrupted run never leaves a half root behind.
  local tmp=$MYSID/root.tmp
  rm -rf "$tmp"; mkdir -p "$tmp"
  find "$debs" -name '*.deb' -print0 | xargs -0 -P 3 -I{} dpkg-deb -x {} "$tmp" 2>>"$flog" \
    || { mysql_fetch_fail "dpkg-deb -x failed"; return 1; }
  rm -rf "$tmp/usr/share/doc" "$tmp/usr/share/man" "$tmp/usr/share/lintian"
  local d
  # shellcheck disable=SC2016  # ${Package} is dpkg-deb's format syntax, not ours
  for d in "$debs"/*.deb; do dpkg-deb -W --showformat='${Package} ${Version}\n' "$d"; done | sort > "$tmp/.rr-manifest"

  # The loader must be the root's own file (not an absolute symlink back into the system).
  local ldso=$tmp/usr/lib/$MY_TRIPLET/$MY_LDSO real
  real=$(readlink -f "$ldso")
  [[ -f $real && $real == "$tmp"/* ]] || { mysql_fetch_fail "no dynamic loader $MY_LDSO inside the unpacked root"; return 1; }
  local v
  v=$("$ldso" --library-path "$tmp/usr/lib/$MY_TRIPLET:$tmp/lib/$MY_TRIPLET:/usr/lib/$MY_TRIPLET:/lib/$MY_TRIPLET" \
        "$tmp/usr/sbin/mysqld" --version 2>>"$flog")
  if [[ $v != *" Ver "* ]]; then
    mysql_fetch_fail "the unpacked mysqld does not run (missing library?)"; return 1
  fi
  echo "$v" >>"$flog"
  touch "$tmp/.rr-complete"
  rm -rf "$MYROOT"; mv "$tmp" "$MYROOT"
  # The .debs and the 30 MB index are not needed any more (a re-fetch refreshes the index anyway).
  rm -rf "$debs" "$MYSID/apt/lists" "$MYSID/apt/cache"
  log "mysql: mysqld ${v##*mysqld }"
}

# ---------------------------------------------------------------------------------------------- servers

mysql_sql_snippets() {
  REPL_STATUS_SQL="SHOW REPLICA STATUS"
  F_IO=Replica_IO_Running F_SQL=Replica_SQL_Running F_HOST=Source_Host F_PORT=Source_Port
  F_GTIDMODE=Auto_Position F_GTIDMODE_OK=1
  NODE_FACTS_SQL="SELECT @@global.read_only, @@global.super_read_only,
    (SELECT COUNT(*) FROM mysql.user WHERE user IN ('$APP_USER','$ADMIN_USER','$REPL_USER') AND host='%')"
  # Superset of the primary's own last commit. It contains newlines after the commas once several
  # server UUIDs are in it, which batch output would print as a literal "\n": strip them here.
  PRIMARY_POS_SQL="SELECT REPLACE(@@global.gtid_executed, '\n', '')"
  # Semi-sync (failover set): enabled as source, as replica; as a source: clients, status, yes_tx.
  SEMI_VARS_SQL="SELECT @@global.rpl_semi_sync_source_enabled, @@global.rpl_semi_sync_replica_enabled"
  SEMI_STATUS_SQL="SELECT
    MAX(IF(variable_name='Rpl_semi_sync_source_clients', variable_value, NULL)),
    MAX(IF(variable_name='Rpl_semi_sync_source_status', variable_value, NULL)),
    MAX(IF(variable_name='Rpl_semi_sync_source_yes_tx', variable_value, NULL))
    FROM performance_schema.global_status WHERE variable_name LIKE 'Rpl\_semi\_sync\_source\_%'"
}
# Semi-sync in MySQL is two plugins. Debian's mysql-server-core 9.7 ships them in the plugin dir
# (checked Nov 2026); should a later package drop them, the failover set stays asynchronous
# (start logs a NOTE) rather than failing.
mysql_semi_sync_available() {
  [[ -f $MYROOT/usr/lib/mysql/plugin/semisync_source.so && -f $MYROOT/usr/lib/mysql/plugin/semisync_replica.so ]]
}
# WAIT_FOR_EXECUTED_GTID_SET: 0 = reached, 1 = timeout.
mysql_wait_sql() { echo "SELECT WAIT_FOR_EXECUTED_GTID_SET('$1', $2)"; }

# Paths inside the root: run through the loader, mysqld cannot find its files relative to itself.
mysql_common_args() {
  MY_COMMON=(--basedir="$MYROOT/usr" --plugin-dir="$MYROOT/usr/lib/mysql/plugin"
    --lc-messages-dir="$MYROOT/usr/share/mysql" --character-sets-dir="$MYROOT/usr/share/mysql/charsets")
  [[ $EUID == 0 ]] && MY_COMMON+=(--user=root)
}

mysql_init_datadir() {
  local n=$1
  mysql_common_args
  # --secure-file-priv must name an existing dir: the compiled-in default does not exist → abort.
  "${LOADER[@]}" "$MYROOT/usr/sbin/mysqld" --no-defaults "${MY_COMMON[@]}" --initialize-insecure \
    --datadir="$(ndata "$n")" --tmpdir="$(ndir "$n")/tmp" --secure-file-priv="$(ndir "$n")/files" \
    --innodb-buffer-pool-size=64M --mysqlx=OFF
}

mysql_server_args() {
  local n=$1 port; port=$(port_of "$n")
  mysql_common_args
  SARGS=("${LOADER[@]}" "$MYROOT/usr/sbin/mysqld" --no-defaults "${MY_COMMON[@]}"
    --datadir="$(ndata "$n")" --tmpdir="$(ndir "$n")/tmp" --socket="$(nsock "$n")" --pid-file="$(npidfile "$n")"
    --port="$port" --bind-address=127.0.0.1 --skip-name-resolve --mysqlx=OFF
    --log-error="$(nerrlog "$n")" --secure-file-priv="$(ndir "$n")/files"
    --server-id="$port" --report-host=127.0.0.1 --report-port="$port"
    --log-bin=binlog --relay-log=relay-bin --binlog-format=ROW --log-replica-updates=ON
    --gtid-mode=ON --enforce-gtid-consistency=ON
    # Notice a dead primary within seconds. Failover set: 2 s, with a 1 s heartbeat (mysql_wire_sql).
    --replica-net-timeout="$(( FAST_DETECT ? 2 : 5 ))"
    # The event scheduler thread (ON by default) makes every shutdown wait ~5-8 s for it: tests
    # that stop primaries would crawl. MariaDB has it OFF by default too.
    --event-scheduler=OFF
    --innodb-buffer-pool-size=64M --max-connections=300
    # MySqlBulkCopy/MySqlBulkLoader send LOAD DATA LOCAL INFILE (off by default since MySQL 8; MariaDB has it on).
    --local-infile=ON)
  # Not persisted: given at every start. super_read_only also stops SUPER users (rr_admin) by accident.
  [[ $n == 1 ]] || SARGS+=(--read-only=ON --super-read-only=ON)
  # Failover set: semi-sync on EVERY node and on both sides, 2 s timeout, wait-no-replica=OFF (see
  # flavor-mariadb.sh for why). Loading the plugins at start (rather than INSTALL PLUGIN) keeps
  # mysql.plugin untouched and the datadir identical to the shared set's.
  if semi_on; then
    SARGS+=(--plugin-load-add=semisync_source.so --plugin-load-add=semisync_replica.so
      --rpl-semi-sync-source-enabled=ON --rpl-semi-sync-replica-enabled=ON --rpl-semi-sync-source-timeout=2000
      --rpl-semi-sync-source-wait-no-replica=OFF)
  fi
}

mysql_users_sql() {
  local n=$1
  # super_read_only blocks CREATE USER even for root: lift it just for this session's work.
  [[ $n == 1 ]] || echo "SET GLOBAL super_read_only=OFF;"
  cat <<SQL
SET SESSION sql_log_bin=0;
DROP USER IF EXISTS '$APP_USER'@'%', '$ADMIN_USER'@'%', '$REPL_USER'@'%';
CREATE USER '$APP_USER'@'%' IDENTIFIED WITH caching_sha2_password BY '$APP_PW';
GRANT $APP_DB_PRIVS ON \`$DB\`.* TO '$APP_USER'@'%';
GRANT $APP_DB_PRIVS ON \`rr\\_test\\_%\`.* TO '$APP_USER'@'%';
GRANT REPLICATION CLIENT, PROCESS ON *.* TO '$APP_USER'@'%';
CREATE USER '$ADMIN_USER'@'%' IDENTIFIED WITH caching_sha2_password BY '$ADMIN_PW';
GRANT ALL PRIVILEGES ON *.* TO '$ADMIN_USER'@'%' WITH GRANT OPTION;
CREATE USER '$REPL_USER'@'%' IDENTIFIED WITH caching_sha2_password BY '$REPL_PW';
GRANT REPLICATION SLAVE ON *.* TO '$REPL_USER'@'%';
SQL
  [[ $n == 1 ]] || echo "SET GLOBAL super_read_only=ON;"
}

mysql_wire_sql() {
  # caching_sha2_password without TLS: the replica must fetch the primary's RSA key.
  # Retry every second for a day: tests stop/kill primaries and expect replicas to reconnect.
  # Failover set: a heartbeat every second (with replica_net_timeout=2) detects a dead primary in ~2 s.
  local heartbeat=
  (( FAST_DETECT )) && heartbeat=", SOURCE_HEARTBEAT_PERIOD=1"
  cat <<SQL
CHANGE REPLICATION SOURCE TO SOURCE_HOST='127.0.0.1', SOURCE_PORT=$(port_of 1), SOURCE_USER='$REPL_USER',
  SOURCE_PASSWORD='$REPL_PW', SOURCE_AUTO_POSITION=1, GET_SOURCE_PUBLIC_KEY=1,
  SOURCE_CONNECT_RETRY=1, SOURCE_RETRY_COUNT=86400$heartbeat;
START REPLICA;
SQL
}
