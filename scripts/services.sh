#!/usr/bin/env bash
# Local services for e2rx's integration specs, on loopback and on their standard ports:
#
#   nats      127.0.0.1:4222  NATS with JetStream (monitoring on 127.0.0.1:8222)   Debian package nats-server
#   redis     127.0.0.1:6379  Redis                                                 Debian package redis-server
#   postgres  127.0.0.1:5432  PostgreSQL, role/password/database e2rx/e2rx/e2rx     Debian package postgresql
#   mariadb   127.0.0.1:3306  MariaDB, user/password/database e2rx/e2rx/e2rx        Debian package mariadb-server
#   kafka     127.0.0.1:9092  Apache Kafka 3.9.x, one KRaft node (controller 9093)  jars from Maven Central via mvn
#
# Usage: bash scripts/services.sh up|down|status [service...]    (no service named: all of them)
#
#   up      installs what is missing (apt-get, mvn), starts what does not already answer on its port, waits until
#           each service answers a real request, prints one line per service; exits 1 naming any that did not come up.
#           A service that already answers (started by this script or by anything else) is reused as it is.
#   status  prints each service up or down; exits 0 when all of them are up, 1 otherwise.
#   down    stops what this script started (pid files in the cache folder), best effort; leaves the rest alone.
#
# Progress goes to stderr: what is being installed or fetched and what is awaited, with the time spent so far every
# ${E2RX_PROGRESS_SECONDS:-10} s, and the log to read (apt.log, kafka-mvn.log, <service>.log).
#
# State lives in ${E2RX_CACHE_DIR:-$HOME/.cache/e2rx}, outside the work tree, so that it survives between clones:
# run/ (pid files), log/ (one log per service), data/ (NATS JetStream store, Redis dir, Kafka log dirs) and kafka/
# (the broker's jars and configuration). PostgreSQL and MariaDB keep Debian's own data folders (/var/lib/postgresql,
# /var/lib/mysql) because their servers run as the postgres and mysql users, which cannot enter a folder under /root.
# See docs/guides/local-services.md.
set -uo pipefail

readonly HOST=127.0.0.1
readonly ALL_SERVICES=(nats redis postgres mariadb kafka)
readonly DB_USER=e2rx DB_PASSWORD=e2rx DB_NAME=e2rx
readonly NATS_MONITOR_PORT=8222
readonly KAFKA_CONTROLLER_PORT=9093
readonly KAFKA_VERSION=${E2RX_KAFKA_VERSION:-3.9.2}
readonly MAVEN_DEPENDENCY_PLUGIN=org.apache.maven.plugins:maven-dependency-plugin:3.8.1

CACHE_DIR=${E2RX_CACHE_DIR:-$HOME/.cache/e2rx}
readonly CACHE_DIR
readonly RUN_DIR=$CACHE_DIR/run LOG_DIR=$CACHE_DIR/log DATA_DIR=$CACHE_DIR/data
readonly KAFKA_DIR=$CACHE_DIR/kafka
readonly KAFKA_LIBS=$KAFKA_DIR/$KAFKA_VERSION/libs
readonly MARIADB_SOCKET=/run/mysqld/mysqld.sock

# ---------------------------------------------------------------------------------------------------------------------
# small helpers

say() { printf 'services: %s\n' "$*" >&2; }

readonly PROGRESS_SECONDS=${E2RX_PROGRESS_SECONDS:-10}

# Waits for process $1 and returns its exit status; meanwhile, every PROGRESS_SECONDS, says "<label>: <n> s" and what
# the command $3 (given the elapsed seconds) prints about where it is.
wait_with_progress() {
  local pid=$1 label=$2 describe=$3 started=$SECONDS next=$((SECONDS + PROGRESS_SECONDS)) detail
  while kill -0 "$pid" 2>/dev/null; do
    sleep 0.5
    if ((SECONDS >= next)) && kill -0 "$pid" 2>/dev/null; then
      detail=$("$describe" 2>/dev/null)
      say "$label: $((SECONDS - started)) s${detail:+, $detail}"
      next=$((SECONDS + PROGRESS_SECONDS))
    fi
  done
  wait "$pid"
}


as_root() {
  if ((EUID == 0)); then "$@"; else sudo "$@"; fi
}

port_of() {
  case $1 in
    nats) echo 4222 ;;
    redis) echo 6379 ;;
    postgres) echo 5432 ;;
    mariadb) echo 3306 ;;
    kafka) echo 9092 ;;
  esac
}

# Seconds to wait for a service to answer after starting it.
wait_limit_of() {
  case $1 in
    kafka) echo "${E2RX_KAFKA_WAIT:-120}" ;;
    *) echo "${E2RX_SERVICE_WAIT:-60}" ;;
  esac
}

log_of() { echo "$LOG_DIR/$1.log"; }

# True when something accepts a TCP connection on 127.0.0.1:$1.
port_open() {
  timeout 2 bash -c ": >/dev/tcp/$HOST/$1" 2>/dev/null
}

# Reads the first line a server sends on connect (NATS sends INFO {...}).
first_line_from() {
  timeout 3 bash -c "exec 3<>/dev/tcp/$HOST/$1 && IFS= read -r -t 2 line <&3 && printf '%s' \"\$line\"" 2>/dev/null
}

pid_alive() {
  local pid=$1 pattern=$2
  [[ -n $pid && -r /proc/$pid/cmdline ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$pattern"
}

# Pattern that the command line of a process started here must contain (so that a reused pid is never signalled).
process_pattern_of() {
  case $1 in
    nats) echo nats-server ;;
    redis) echo redis-server ;;
    mariadb) echo mariadbd ;;
    kafka) echo kafka.Kafka ;;
  esac
}

pid_of_started() {
  local file=$RUN_DIR/$1.pid
  [[ -f $file ]] || return 1
  local pid
  pid=$(<"$file")
  pid_alive "$pid" "$(process_pattern_of "$1")" && echo "$pid"
}

# Starts a command detached from this shell (own session, no stdin, output to the service's log), records its pid.
spawn() {
  local service=$1
  shift
  local log
  log=$(log_of "$service")
  [[ -f $log ]] && mv -f "$log" "$log.prev"
  # 9>&-: the service must not inherit the descriptor that holds this script's lock (see main).
  setsid "$@" >"$log" 2>&1 </dev/null 9>&- &
  echo $! >"$RUN_DIR/$service.pid"
}

mariadb_client() {
  if command -v mariadb >/dev/null 2>&1; then echo mariadb; else echo mysql; fi
}

# The newest PostgreSQL major version whose server is installed (15 on Debian 12).
postgres_version() {
  local bin version best=''
  for bin in /usr/lib/postgresql/*/bin/postgres; do
    [[ -x $bin ]] || continue
    version=${bin#/usr/lib/postgresql/}
    version=${version%%/*}
    [[ $version =~ ^[0-9]+$ ]] || continue
    if [[ -z $best ]] || ((version > best)); then best=$version; fi
  done
  [[ -n $best ]] && echo "$best"
}

# ---------------------------------------------------------------------------------------------------------------------
# readiness: a real request to each service. DETAIL says what answered, or why not.

DETAIL=''

check_nats() {
  local port line
  port=$(port_of nats)
  line=$(first_line_from "$port") || {
    DETAIL="nothing answers on $HOST:$port"
    return 1
  }
  if [[ $line != INFO* ]]; then
    DETAIL="$HOST:$port answers, but not with a NATS INFO line"
    return 1
  fi
  if [[ $line != *'"jetstream":true'* ]]; then
    DETAIL="NATS on $HOST:$port has JetStream disabled"
    return 1
  fi
  local version
  version=$(sed -n 's/.*"version":"\([^"]*\)".*/\1/p' <<<"$line")
  DETAIL="$HOST:$port (nats-server ${version:-?}, jetstream)"
}

check_redis() {
  local port reply
  port=$(port_of redis)
  reply=$(timeout 3 bash -c "exec 3<>/dev/tcp/$HOST/$port && printf 'PING\r\n' >&3 && IFS= read -r -t 2 line <&3 && printf '%s' \"\$line\"" 2>/dev/null) || {
    DETAIL="nothing answers PING on $HOST:$port"
    return 1
  }
  if [[ $reply != +PONG* ]]; then
    DETAIL="$HOST:$port answered PING with: ${reply%$'\r'}"
    return 1
  fi
  DETAIL="$HOST:$port"
}

check_postgres() {
  local port out
  port=$(port_of postgres)
  if ! command -v psql >/dev/null 2>&1; then
    DETAIL='psql is not installed'
    return 1
  fi
  if ! pg_isready -q -h "$HOST" -p "$port" -t 2 2>/dev/null; then
    DETAIL="pg_isready: no server accepting connections on $HOST:$port"
    return 1
  fi
  out=$(PGPASSWORD=$DB_PASSWORD PGCONNECT_TIMEOUT=3 psql -X -w -q -tA -h "$HOST" -p "$port" -U "$DB_USER" -d "$DB_NAME" \
    -c 'select 1' 2>&1)
  if [[ $out != 1 ]]; then
    DETAIL="select 1 as $DB_USER failed: ${out//$'\n'/ }"
    return 1
  fi
  DETAIL="postgresql://$DB_USER:$DB_PASSWORD@$HOST:$port/$DB_NAME"
}

check_mariadb() {
  local port out client
  port=$(port_of mariadb)
  client=$(mariadb_client)
  if ! command -v "$client" >/dev/null 2>&1; then
    DETAIL='the mariadb client is not installed'
    return 1
  fi
  out=$(MYSQL_PWD=$DB_PASSWORD "$client" --no-defaults --protocol=TCP -h "$HOST" -P "$port" -u "$DB_USER" \
    --connect-timeout=3 -N -B -e 'select 1' "$DB_NAME" 2>&1)
  if [[ $out != 1 ]]; then
    DETAIL="select 1 as $DB_USER failed: ${out//$'\n'/ }"
    return 1
  fi
  DETAIL="mysql://$DB_USER:$DB_PASSWORD@$HOST:$port/$DB_NAME"
}

# A Kafka Metadata (v0) request over plain TCP: ready once the broker answers it listing at least one live broker.
readonly KAFKA_PROBE='
const net = require("node:net");
const host = process.env.PROBE_HOST, port = Number(process.env.PROBE_PORT);
const clientId = Buffer.from("e2rx-services");
const body = Buffer.alloc(2 + 2 + 4 + 2 + clientId.length + 4);
let o = body.writeInt16BE(3, 0);            // api key: Metadata
o = body.writeInt16BE(0, o);                // api version 0
o = body.writeInt32BE(4242, o);             // correlation id
o = body.writeInt16BE(clientId.length, o);  // client id
o += clientId.copy(body, o);
body.writeInt32BE(0, o);                    // no topics named: all of them
const size = Buffer.alloc(4);
size.writeInt32BE(body.length, 0);
const fail = (why) => { process.stdout.write(why); process.exit(1); };
const socket = net.connect(port, host, () => socket.write(Buffer.concat([size, body])));
socket.setTimeout(3000, () => fail("no answer to a Metadata request within 3 s"));
socket.on("error", (e) => fail(e.message));
let got = Buffer.alloc(0);
socket.on("data", (chunk) => {
  got = Buffer.concat([got, chunk]);
  if (got.length < 4 || got.length < 4 + got.readInt32BE(0)) return;
  if (got.readInt32BE(4) !== 4242) fail("answered, but not with a Kafka Metadata response");
  const brokers = got.readInt32BE(8);
  if (brokers < 1) fail("Metadata lists no live broker yet");
  const hostLength = got.readInt16BE(16);
  const advertised = got.toString("utf8", 18, 18 + hostLength) + ":" + got.readInt32BE(18 + hostLength);
  process.stdout.write(advertised);
  process.exit(0);
});
'

check_kafka() {
  local port out
  port=$(port_of kafka)
  if ! port_open "$port"; then
    DETAIL="nothing answers on $HOST:$port"
    return 1
  fi
  if command -v node >/dev/null 2>&1; then
    if ! out=$(PROBE_HOST=$HOST PROBE_PORT=$port timeout 5 node -e "$KAFKA_PROBE" 2>&1); then
      DETAIL="Kafka on $HOST:$port: ${out:-no answer}"
      return 1
    fi
    DETAIL="$HOST:$port (kraft, advertises $out)"
  else
    # Without Node.js, fall back to the broker's own log line.
    if ! grep -q 'Kafka Server started' "$(log_of kafka)" 2>/dev/null; then
      DETAIL="$HOST:$port is open but the log has no 'Kafka Server started' yet"
      return 1
    fi
    DETAIL="$HOST:$port (kraft)"
  fi
}

check() { "check_$1"; }

# ---------------------------------------------------------------------------------------------------------------------
# installation

# Apt packages that service $1 needs and that are missing (printed space separated, nothing when all are there).
missing_packages() {
  case $1 in
    nats) command -v nats-server >/dev/null 2>&1 || echo nats-server ;;
    redis) command -v redis-server >/dev/null 2>&1 || echo redis-server ;;
    postgres)
      if ! postgres_version >/dev/null || ! command -v pg_ctlcluster >/dev/null 2>&1; then echo postgresql; fi
      command -v psql >/dev/null 2>&1 || echo postgresql-client
      ;;
    mariadb)
      [[ -x /usr/sbin/mariadbd ]] || command -v mariadbd >/dev/null 2>&1 || echo mariadb-server
      command -v mariadb >/dev/null 2>&1 || command -v mysql >/dev/null 2>&1 || echo mariadb-client
      ;;
    kafka)
      command -v java >/dev/null 2>&1 || echo openjdk-17-jre-headless
      command -v mvn >/dev/null 2>&1 || echo maven
      ;;
  esac
}

POLICY_RC_CREATED=0
remove_policy_rc() {
  if ((POLICY_RC_CREATED)); then
    as_root rm -f /usr/sbin/policy-rc.d
    POLICY_RC_CREATED=0
  fi
}

# apt-get, or the command given by E2RX_APT_GET (the specs give a stand-in: then no policy-rc.d is written).
APT_GET=${E2RX_APT_GET:-apt-get}
readonly APT_STATUS_FILE=$LOG_DIR/apt.status

# Where apt-get is: its last status line ("Retrieving file 3 of 40", "Unpacking mariadb-server") and its percent.
describe_apt() {
  local line
  line=$(tail -n 1 "$APT_STATUS_FILE" 2>/dev/null)
  [[ -n $line ]] || return 0
  IFS=: read -r _kind _package percent description <<<"$line"
  printf '%s (%.0f%%)' "$description" "${percent:-0}"
}

apt_install() {
  (($# > 0)) || return 0
  say "installing with apt-get: $* (log: $LOG_DIR/apt.log)"
  # Debian starts a daemon when its package is installed; with no init system that either fails or starts it
  # outside this script's control. A policy-rc.d that answers 101 ("action forbidden") stops that.
  if [[ $APT_GET == apt-get && ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\n# written by e2rx scripts/services.sh for the time of an install\nexit 101\n' |
      as_root tee /usr/sbin/policy-rc.d >/dev/null
    as_root chmod 755 /usr/sbin/policy-rc.d
    POLICY_RC_CREATED=1
    trap remove_policy_rc EXIT
  fi
  # APT::Status-Fd writes one machine-readable line per step (dlstatus:…, pmstatus:…) to the status file, for the
  # progress lines.
  local -a apt=(env DEBIAN_FRONTEND=noninteractive "$APT_GET" -q -o DPkg::Lock::Timeout=600 -o APT::Status-Fd=3)
  local status=0 started=$SECONDS
  : >"$APT_STATUS_FILE"
  as_root "${apt[@]}" update >"$LOG_DIR/apt.log" 2>&1 3>>"$APT_STATUS_FILE" &
  wait_with_progress $! 'apt-get update' describe_apt || status=$?
  if ((status == 0)); then
    as_root "${apt[@]}" install -y --no-install-recommends "$@" >>"$LOG_DIR/apt.log" 2>&1 3>>"$APT_STATUS_FILE" &
    wait_with_progress $! "apt-get install $*" describe_apt || status=$?
  fi
  remove_policy_rc
  ((status != 0)) || say "installed with apt-get in $((SECONDS - started)) s: $*"
  if ((status != 0)); then
    say "apt-get install $* failed (exit $status); the end of $LOG_DIR/apt.log:"
    tail -n 25 "$LOG_DIR/apt.log" >&2
    return 1
  fi
}

kafka_pom() {
  cat <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<!-- Generated by e2rx scripts/services.sh: the runtime class path of one Kafka broker. -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.e2rx</groupId>
  <artifactId>kafka-broker-runtime</artifactId>
  <version>$KAFKA_VERSION</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_2.13</artifactId>
      <version>$KAFKA_VERSION</version>
    </dependency>
    <!-- kafka_2.13 brings slf4j-api only; the Kafka distribution logs through reload4j (log4j 1.2 API). -->
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-reload4j</artifactId>
      <version>1.7.36</version>
    </dependency>
    <dependency>
      <groupId>ch.qos.reload4j</groupId>
      <artifactId>reload4j</artifactId>
      <version>1.2.25</version>
    </dependency>
  </dependencies>
</project>
EOF
}

# mvn, or the command given by E2RX_MVN (the specs give a stand-in).
MVN=${E2RX_MVN:-mvn}

# How far mvn is: the files it downloaded so far, and the last one.
describe_mvn() {
  local count last
  count=$(grep -c '^Downloaded from' "$LOG_DIR/kafka-mvn.log" 2>/dev/null)
  last=$(grep -E '^Downloaded from' "$LOG_DIR/kafka-mvn.log" 2>/dev/null | tail -n 1 | sed -E 's|^.*/([^/ ]+) \(.*$|\1|')
  printf '%s files downloaded%s' "${count:-0}" "${last:+, the last $last}"
}

ensure_kafka_libs() {
  [[ -f $KAFKA_LIBS/.complete ]] && return 0
  say "fetching Apache Kafka $KAFKA_VERSION and its runtime dependencies with mvn into $KAFKA_LIBS (log: $LOG_DIR/kafka-mvn.log)"
  local build=$KAFKA_DIR/$KAFKA_VERSION/build started=$SECONDS
  mkdir -p "$build"
  kafka_pom >"$build/pom.xml"
  rm -rf "$KAFKA_LIBS.partial"
  # Not -q: the "Downloaded from" lines are the progress.
  "$MVN" -B -f "$build/pom.xml" "$MAVEN_DEPENDENCY_PLUGIN:copy-dependencies" \
    -DoutputDirectory="$KAFKA_LIBS.partial" -DincludeScope=runtime >"$LOG_DIR/kafka-mvn.log" 2>&1 &
  if ! wait_with_progress $! 'mvn (Kafka jars)' describe_mvn; then
    say "mvn could not fetch Kafka $KAFKA_VERSION; the end of $LOG_DIR/kafka-mvn.log:"
    tail -n 25 "$LOG_DIR/kafka-mvn.log" >&2
    return 1
  fi
  rm -rf "$KAFKA_LIBS"
  mv "$KAFKA_LIBS.partial" "$KAFKA_LIBS"
  touch "$KAFKA_LIBS/.complete"
  say "fetched the Kafka jars in $((SECONDS - started)) s"
}

# ---------------------------------------------------------------------------------------------------------------------
# starting

start_nats() {
  local store=$DATA_DIR/nats conf=$CACHE_DIR/nats.conf
  mkdir -p "$store"
  cat >"$conf" <<EOF
# Generated by e2rx scripts/services.sh
listen: $HOST:$(port_of nats)
http: $HOST:$NATS_MONITOR_PORT
jetstream {
  store_dir: "$store"
  max_memory_store: 256MB
  max_file_store: 4GB
}
EOF
  spawn nats nats-server -c "$conf"
}

start_redis() {
  mkdir -p "$DATA_DIR/redis"
  spawn redis redis-server --bind "$HOST" --port "$(port_of redis)" --dir "$DATA_DIR/redis" \
    --daemonize no --save '' --appendonly no --protected-mode yes
}

start_postgres() {
  local version
  version=$(postgres_version) || {
    say 'postgres: no PostgreSQL server is installed'
    return 1
  }
  if ! pg_lsclusters -h 2>/dev/null | awk -v v="$version" '$1 == v && $2 == "main" { found = 1 } END { exit !found }'; then
    say "postgres: creating the PostgreSQL $version cluster 'main'"
    as_root pg_createcluster --port "$(port_of postgres)" "$version" main >"$LOG_DIR/postgres-create.log" 2>&1 || {
      tail -n 20 "$LOG_DIR/postgres-create.log" >&2
      return 1
    }
  fi
  local port
  port=$(pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" { print $3 }')
  if [[ $port != "$(port_of postgres)" ]]; then
    say "postgres: cluster $version/main is set to port $port, not $(port_of postgres)" \
      "(change 'port' in /etc/postgresql/$version/main/postgresql.conf)"
    return 1
  fi
  ln -sfn "/var/log/postgresql/postgresql-$version-main.log" "$(log_of postgres)"
  clear_stale_postgres_locks "$version"
  # pg_ctlcluster runs the server as its owner (postgres) and waits until it accepts connections.
  if as_root pg_ctlcluster "$version" main start >"$LOG_DIR/postgres-ctl.log" 2>&1 9>&-; then
    echo "$version" >"$RUN_DIR/postgres.started"
  else
    cat "$LOG_DIR/postgres-ctl.log" >&2
    return 1
  fi
}

# A server that was killed leaves its lock files; PostgreSQL refuses to start while the pid in them still exists,
# which includes a zombie that init has not reaped yet (seen here right after a kill -9). Remove the lock files whose
# pid is not a live postgres process; the port is closed at this point.
clear_stale_postgres_locks() {
  local file pid state
  for file in "/var/lib/postgresql/$1/main/postmaster.pid" "/var/run/postgresql/.s.PGSQL.$(port_of postgres).lock"; do
    as_root test -f "$file" || continue
    pid=$(as_root head -n 1 "$file")
    state=$(ps -o stat=,comm= -p "$pid" 2>/dev/null)
    if [[ -z $state || $state == Z* || $state != *postgres* ]]; then
      say "postgres: removing the stale $file (pid ${pid:-?} is not a running postgres)"
      as_root rm -f "$file"
    fi
  done
}

start_mariadb() {
  as_root mkdir -p /run/mysqld
  as_root chown mysql:mysql /run/mysqld
  if [[ ! -d /var/lib/mysql/mysql ]]; then
    say 'mariadb: initialising /var/lib/mysql'
    as_root mariadb-install-db --user=mysql --datadir=/var/lib/mysql --skip-test-db \
      >"$LOG_DIR/mariadb-install.log" 2>&1 || {
      tail -n 20 "$LOG_DIR/mariadb-install.log" >&2
      return 1
    }
  fi
  local mariadbd
  mariadbd=$(command -v mariadbd || echo /usr/sbin/mariadbd)
  local -a root=()
  ((EUID == 0)) || root=(sudo)
  spawn mariadb "${root[@]}" "$mariadbd" --user=mysql --bind-address="$HOST" --port="$(port_of mariadb)" \
    --socket="$MARIADB_SOCKET" --pid-file=/run/mysqld/mysqld.pid
}

readonly -a KAFKA_JAVA=(java -Xms256m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true
  "-Dlog4j.configuration=file:$KAFKA_DIR/log4j.properties" "-Dkafka.logs.dir=$LOG_DIR" -cp "$KAFKA_LIBS/*")

kafka_java() { "${KAFKA_JAVA[@]}" "$@"; }

start_kafka() {
  local data=$DATA_DIR/kafka props=$KAFKA_DIR/server.properties
  mkdir -p "$data"
  cat >"$props" <<EOF
# Generated by e2rx scripts/services.sh: one Kafka node in KRaft mode, broker and controller, on loopback.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$HOST:$(port_of kafka),CONTROLLER://$HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$HOST:$(port_of kafka)
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$data
num.partitions=1
default.replication.factor=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
delete.topic.enable=true
EOF
  cat >"$KAFKA_DIR/log4j.properties" <<'EOF'
# Generated by e2rx scripts/services.sh: everything to stdout, which the script sends to log/kafka.log.
log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.log.LogCleaner=WARN
log4j.logger.org.apache.kafka.clients=WARN
EOF
  if [[ ! -f $data/meta.properties ]]; then
    local cluster_id
    cluster_id=$(kafka_java kafka.tools.StorageTool random-uuid 2>"$LOG_DIR/kafka-format.log") || {
      cat "$LOG_DIR/kafka-format.log" >&2
      return 1
    }
    kafka_java kafka.tools.StorageTool format -t "$cluster_id" -c "$props" --ignore-formatted \
      >>"$LOG_DIR/kafka-format.log" 2>&1 || {
      tail -n 20 "$LOG_DIR/kafka-format.log" >&2
      return 1
    }
  fi
  spawn kafka "${KAFKA_JAVA[@]}" kafka.Kafka "$props"
}

# ---------------------------------------------------------------------------------------------------------------------
# provisioning: the e2rx role/user and database, once the server answers

provision_postgres() {
  local port
  port=$(port_of postgres)
  command -v runuser >/dev/null 2>&1 || return 1
  as_root runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -h /var/run/postgresql -p "$port" -d postgres \
    >>"$LOG_DIR/postgres-provision.log" 2>&1 <<EOF
SELECT 'CREATE ROLE $DB_USER' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$DB_USER')\gexec
ALTER ROLE $DB_USER WITH LOGIN CREATEDB PASSWORD '$DB_PASSWORD';
SELECT 'CREATE DATABASE $DB_NAME OWNER $DB_USER' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$DB_NAME')\gexec
EOF
}

provision_mariadb() {
  [[ -S $MARIADB_SOCKET ]] || return 1
  local client sql='' host
  client=$(mariadb_client)
  sql+="CREATE DATABASE IF NOT EXISTS \`$DB_NAME\`;"
  for host in '%' 'localhost' '127.0.0.1'; do
    sql+="CREATE USER IF NOT EXISTS '$DB_USER'@'$host' IDENTIFIED BY '$DB_PASSWORD';"
    sql+="ALTER USER '$DB_USER'@'$host' IDENTIFIED BY '$DB_PASSWORD';"
    sql+="GRANT ALL PRIVILEGES ON \`$DB_NAME\`.* TO '$DB_USER'@'$host';"
  done
  sql+='FLUSH PRIVILEGES;'
  # root@localhost authenticates by unix socket on Debian: running the client as root is the password.
  as_root "$client" --no-defaults --protocol=SOCKET -S "$MARIADB_SOCKET" -u root -e "$sql" \
    >>"$LOG_DIR/mariadb-provision.log" 2>&1
}

provision() {
  case $1 in
    postgres) provision_postgres ;;
    mariadb) provision_mariadb ;;
    *) return 1 ;;
  esac
}

# The server itself answers (whatever the e2rx login says), so provisioning can be tried.
server_answers() {
  case $1 in
    postgres) pg_isready -q -h "$HOST" -p "$(port_of postgres)" -t 2 2>/dev/null ;;
    mariadb) [[ -S $MARIADB_SOCKET ]] && port_open "$(port_of mariadb)" ;;
    *) return 1 ;;
  esac
}

# ---------------------------------------------------------------------------------------------------------------------
# commands

print_line() { printf '%-10s %-5s %s\n' "$1" "$2" "$3"; }

report_failure() {
  local service=$1 reason=$2 log
  log=$(log_of "$service")
  {
    echo
    echo "services: $service did not come up on $HOST:$(port_of "$service"): $reason"
    if port_open "$(port_of "$service")" && ! pid_of_started "$service" >/dev/null && command -v ss >/dev/null 2>&1; then
      echo "services: the port is held by a process that this script did not start:"
      ss -Hltnp "sport = :$(port_of "$service")" 2>/dev/null | sed 's/^/  | /'
    fi
    if [[ -e $log ]]; then
      echo "services: the end of $log:"
      tail -n 30 "$log" | sed 's/^/  | /'
    fi
  } >&2
}

declare -A STATE=() INFO=()

cmd_up() {
  local -a services=("$@") pending=() packages=()
  local service began=$SECONDS
  # Fast path: everything that already answers is reused as it is.
  for service in "${services[@]}"; do
    if check "$service"; then
      STATE[$service]=up
      INFO[$service]=$DETAIL
    else
      pending+=("$service")
    fi
  done

  if ((${#pending[@]} > 0)); then
    for service in "${pending[@]}"; do
      # shellcheck disable=SC2207
      packages+=($(missing_packages "$service"))
    done
    if ((${#packages[@]} > 0)); then
      # shellcheck disable=SC2046
      apt_install $(printf '%s\n' "${packages[@]}" | sort -u) || exit 1
    fi
  fi

  local -A started_at=()
  for service in "${pending[@]}"; do
    if [[ $service == kafka ]] && ! ensure_kafka_libs; then
      STATE[kafka]=failed
      INFO[kafka]='could not fetch the Kafka jars with mvn'
      continue
    fi
    if port_open "$(port_of "$service")" || pid_of_started "$service" >/dev/null; then
      say "$service: $HOST:$(port_of "$service") is open or starting; waiting for it to answer"
    else
      say "$service: starting (log: $(log_of "$service"))"
      if ! "start_$service"; then
        STATE[$service]=failed
        INFO[$service]='its start command failed'
        continue
      fi
    fi
    started_at[$service]=$SECONDS
  done

  for service in "${pending[@]}"; do
    [[ ${STATE[$service]:-} == failed ]] && continue
    local deadline=$((started_at[$service] + $(wait_limit_of "$service"))) provisioned=0
    local next_progress=$((SECONDS + PROGRESS_SECONDS))
    while :; do
      if ((SECONDS >= next_progress)); then
        say "$service: waiting for it to answer, $((SECONDS - started_at[$service])) s of $(wait_limit_of "$service") s (${DETAIL:-starting}; log: $(log_of "$service"))"
        next_progress=$((SECONDS + PROGRESS_SECONDS))
      fi
      if check "$service"; then
        STATE[$service]=up
        INFO[$service]=$DETAIL
        break
      fi
      if ((!provisioned)) && server_answers "$service"; then
        provisioned=1
        provision "$service" || say "$service: creating the $DB_USER login failed (see $LOG_DIR/$service-provision.log)"
        continue
      fi
      local pattern
      pattern=$(process_pattern_of "$service")
      if [[ -n $pattern && -f $RUN_DIR/$service.pid ]] && ! pid_of_started "$service" >/dev/null &&
        ! port_open "$(port_of "$service")"; then
        STATE[$service]=failed
        INFO[$service]="its process exited ($DETAIL)"
        break
      fi
      if ((SECONDS >= deadline)); then
        STATE[$service]=failed
        INFO[$service]="not ready after $(wait_limit_of "$service") s: $DETAIL"
        break
      fi
      sleep 0.5
    done
  done

  local failed=0
  for service in "${services[@]}"; do
    if [[ ${STATE[$service]} == up ]]; then
      print_line "$service" up "${INFO[$service]}"
    else
      print_line "$service" FAIL "${INFO[$service]}"
      failed=1
    fi
  done
  for service in "${services[@]}"; do
    [[ ${STATE[$service]} == up ]] || report_failure "$service" "${INFO[$service]}"
  done
  if ((failed)); then
    echo "services: not every service came up (logs in $LOG_DIR)" >&2
    exit 1
  fi
  ((${#pending[@]} == 0)) || say "up in $((SECONDS - began)) s (logs in $LOG_DIR)"
}

cmd_status() {
  local service all_up=0
  for service in "$@"; do
    if check "$service"; then
      print_line "$service" up "$DETAIL"
    else
      print_line "$service" down "$DETAIL"
      all_up=1
    fi
  done
  exit "$all_up"
}

stop_pid() {
  local service=$1 pid=$2 waited=0
  kill -TERM "$pid" 2>/dev/null
  # Kafka flushes and closes its logs on TERM; give it time before KILL.
  while kill -0 "$pid" 2>/dev/null && ((waited < 60)); do
    sleep 0.5
    waited=$((waited + 1))
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "$service: still running 30 s after TERM; sending KILL"
    kill -KILL "$pid" 2>/dev/null
  fi
}

cmd_down() {
  local service pid
  for service in "$@"; do
    if [[ $service == postgres ]]; then
      if [[ -f $RUN_DIR/postgres.started ]]; then
        as_root pg_ctlcluster "$(<"$RUN_DIR/postgres.started")" main stop -m fast >/dev/null 2>&1
        rm -f "$RUN_DIR/postgres.started"
        print_line postgres down 'stopped'
      else
        print_line postgres -- 'not started by this script; left as it is'
      fi
      continue
    fi
    if pid=$(pid_of_started "$service"); then
      stop_pid "$service" "$pid"
      print_line "$service" down 'stopped'
    else
      print_line "$service" -- 'not started by this script; left as it is'
    fi
    rm -f "$RUN_DIR/$service.pid"
  done
}

usage() {
  sed -n '2,/^set -uo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2
  exit 2
}

main() {
  (($# >= 1)) || usage
  local command=$1
  shift
  local -a services=()
  local service
  if (($# == 0)); then
    services=("${ALL_SERVICES[@]}")
  else
    for service in "$@"; do
      [[ " ${ALL_SERVICES[*]} " == *" $service "* ]] || {
        echo "services: unknown service '$service' (known: ${ALL_SERVICES[*]})" >&2
        exit 2
      }
      services+=("$service")
    done
  fi
  case $command in
    up | down | status) ;;
    -h | --help | help) usage ;;
    *)
      echo "services: unknown command '$command' (up, down or status)" >&2
      exit 2
      ;;
  esac
  mkdir -p "$RUN_DIR" "$LOG_DIR" "$DATA_DIR" "$KAFKA_DIR"
  # One up or down at a time (two sessions, or npm test next to a manual up).
  exec 9>"$CACHE_DIR/.lock"
  if [[ $command != status ]] && ! flock -w 900 9; then
    echo "services: another services.sh still holds $CACHE_DIR/.lock" >&2
    exit 1
  fi
  "cmd_$command" "${services[@]}"
}

# Sourced (by a spec, to call one function), it only defines; run, it runs.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  main "$@"
fi
