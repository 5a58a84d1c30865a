#!/bin/bash
# up.sh - the real-Nova test stack of escalator's OpenStack tests (orchestrator/openstack):
#   MariaDB + RabbitMQ + Keystone + Glance + Placement + Nova API/conductor/scheduler
#   + 3 x nova-compute (compute_driver=fake.FakeDriver, host=compute-1..3: real Nova API,
#     scheduler, conductor and migrations over simulated hypervisors, no qemu/libvirt)
#   + neutron_stub.py (Nova asks Neutron a few questions even for servers booted with
#     networks="none"; the stub answers them with empty lists).
# Every daemon is started directly (no systemd on these machines), listens on 127.0.0.1
# only, on ports away from the usual ones, and keeps its config, state and logs under
# $ESCALATOR_OPENSTACK_DIR (default ${TMPDIR:-/tmp}/escalator-openstack). Non-interactive.
# Runs install.sh first when a package is missing. Writes $DIR/clouds.yaml (cloud
# "escalator") and $DIR/openrc for the tests and for the openstack CLI.
# Re-runnable: down.sh stops everything, down.sh --purge also wipes the state.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
RV=${ESCALATOR_OPENSTACK_DIR:-${TMPDIR:-/tmp}/escalator-openstack}
PW=${PW:-escalator-secret}
N_COMPUTE=${N_COMPUTE:-3}
DB_PORT=${DB_PORT:-13306} AMQP_PORT=${AMQP_PORT:-15679} EPMD_PORT=${EPMD_PORT:-14369} DIST_PORT=${DIST_PORT:-25679}
KS_PORT=${KS_PORT:-15000} NOVA_PORT=${NOVA_PORT:-18774} PLACEMENT_PORT=${PLACEMENT_PORT:-18778}
GLANCE_PORT=${GLANCE_PORT:-19292} NEUTRON_PORT=${NEUTRON_PORT:-19696}
H=127.0.0.1
KS_URL=http://$H:$KS_PORT NOVA_URL=http://$H:$NOVA_PORT PLACEMENT_URL=http://$H:$PLACEMENT_PORT
GLANCE_URL=http://$H:$GLANCE_PORT NEUTRON_URL=http://$H:$NEUTRON_PORT
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH   # Debian's python3, not a pyenv/venv one
unset PYTHONPATH PYTHONHOME VIRTUAL_ENV
PY=/usr/bin/python3
NICE="nice -n ${NICE_LEVEL:-10}"   # daemons
HEAVY="nice -n 19"                  # db migrations
ETC=$RV/etc ST=$RV/state LOG=$RV/logs RUN=$RV/run
mkdir -p $ETC/{keystone,nova,placement,glance,rabbit} $ST $LOG $RUN
T0=$(date +%s.%N)
ts() { awk -v a="$(date +%s.%N)" -v b="$T0" 'BEGIN{printf "%6.1fs", a-b}'; }
say() { echo "[$(ts)] $*"; echo "$(date +%s.%N) $*" >> $LOG/up-phases.log; }
die() { echo "[$(ts)] FATAL: $*" >&2; exit 1; }
# wait_for <timeout-s> <description> <command...>   (bounded poll, 1 s step)
wait_for() { local t=$1 d=$2; shift 2; local end=$(( $(date +%s) + t ));
  until "$@" >/dev/null 2>&1; do [ "$(date +%s)" -lt "$end" ] || die "timeout ($t s) waiting for $d"; sleep 1; done; }
port_open() { (exec 3<>/dev/tcp/$H/$1) 2>/dev/null; }
port_free() { ! port_open "$1" || die "port $1 on $H already in use"; }
# start <name> <cmd...> : background daemon, pid in $RUN/<name>.pid, log in $LOG/<name>.log
start() { local n=$1; shift; if [ -f $RUN/$n.pid ] && kill -0 "$(cat $RUN/$n.pid)" 2>/dev/null; then say "$n already running"; return; fi
  setsid nohup $NICE "$@" </dev/null >>$LOG/$n.log 2>&1 & echo $! > $RUN/$n.pid; }

# A stack of ours already serving in $RV: nothing to do (make openstack may run twice).
if [ -f $RV/clouds.yaml ] && [ -f $RUN/nova-api.pid ] && kill -0 "$(cat $RUN/nova-api.pid)" 2>/dev/null \
   && curl -sf -o /dev/null $NOVA_URL/ && curl -sf -o /dev/null $KS_URL/v3; then
  say "already up: $RV/clouds.yaml (down.sh stops it)"; exit 0
fi

# ---------------------------------------------------------------- 1. packages
if ! command -v nova-compute >/dev/null || ! command -v glance-api >/dev/null || ! command -v jq >/dev/null || [ ! -x /usr/sbin/mariadbd ]; then
  say "installing Debian packages (install.sh)"
  bash $HERE/install.sh > $LOG/install.log 2>&1 || die "apt install failed, see $LOG/install.log"
fi
say "packages present"

# ---------------------------------------------------------------- 2. MariaDB
if [ ! -d $ST/mysql/mysql ]; then
  mariadb-install-db --no-defaults --user=root --datadir=$ST/mysql --auth-root-authentication-method=normal \
     --skip-test-db > $LOG/mariadb-install.log 2>&1 || die "mariadb-install-db failed"
fi
port_free $DB_PORT
start mariadb /usr/sbin/mariadbd --no-defaults --user=root --datadir=$ST/mysql --socket=$RUN/mysqld.sock \
  --pid-file=$RUN/mariadbd.pid --bind-address=$H --port=$DB_PORT --skip-name-resolve --performance-schema=OFF \
  --innodb-buffer-pool-size=64M --innodb-log-file-size=32M --innodb-flush-log-at-trx-commit=0 --innodb-doublewrite=0 \
  --max-connections=1000 --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci --log-error=$LOG/mariadb.err
wait_for 60 mariadb mariadb --no-defaults -S $RUN/mysqld.sock -uroot -e 'select 1'
SQL="mariadb --no-defaults -S $RUN/mysqld.sock -uroot"
for db in keystone glance placement nova_api nova nova_cell0; do
  u=${db%%_*}; $SQL -e "CREATE DATABASE IF NOT EXISTS $db; CREATE USER IF NOT EXISTS '$u'@'127.0.0.1' IDENTIFIED BY '$PW';
     GRANT ALL ON $db.* TO '$u'@'127.0.0.1';"
done
say "mariadb up on $H:$DB_PORT"
dburl() { echo "mysql+pymysql://$1:$PW@$H:$DB_PORT/$2?charset=utf8"; }

# ---------------------------------------------------------------- 3. RabbitMQ
cat > $ETC/rabbit/rabbitmq.conf <<EOF
listeners.tcp.1 = $H:$AMQP_PORT
loopback_users.guest = true
disk_free_limit.absolute = 50MB
log.file.level = warning
EOF
echo '[].' > $ETC/rabbit/enabled_plugins
mkdir -p $ST/rabbit
RABBIT_ENV=(env HOME=$ST/rabbit RABBITMQ_CONF_ENV_FILE=/dev/null RABBITMQ_NODENAME=rabbit@localhost \
  RABBITMQ_CONFIG_FILE=$ETC/rabbit/rabbitmq.conf RABBITMQ_ENABLED_PLUGINS_FILE=$ETC/rabbit/enabled_plugins \
  RABBITMQ_MNESIA_BASE=$ST/rabbit/mnesia RABBITMQ_LOG_BASE=$LOG/rabbit RABBITMQ_DIST_PORT=$DIST_PORT \
  ERL_EPMD_ADDRESS=$H ERL_EPMD_PORT=$EPMD_PORT \
  RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" \
  RABBITMQ_CTL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}")
port_free $AMQP_PORT
start rabbitmq "${RABBIT_ENV[@]}" /usr/lib/rabbitmq/bin/rabbitmq-server
wait_for 120 "rabbitmq amqp port" port_open $AMQP_PORT
TRANSPORT=rabbit://guest:guest@$H:$AMQP_PORT/
say "rabbitmq up on $H:$AMQP_PORT"

# ---------------------------------------------------------------- 4. Keystone
authtoken() { cat <<EOF
[keystone_authtoken]
www_authenticate_uri = $KS_URL/
auth_url = $KS_URL/
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = $1
password = $PW
service_token_roles_required = true
EOF
}
cat > $ETC/keystone/keystone.conf <<EOF
[DEFAULT]
log_file = $LOG/keystone-app.log
[database]
connection = $(dburl keystone keystone)
[token]
provider = fernet
[fernet_tokens]
key_repository = $ST/keystone/fernet-keys
[fernet_receipts]
key_repository = $ST/keystone/fernet-keys
[credential]
key_repository = $ST/keystone/credential-keys
[cache]
enabled = false
[identity]
# bcrypt cost 4 instead of 12: every service password login gets cheap (test rig only)
password_hash_rounds = 4
EOF
KM="keystone-manage --config-file $ETC/keystone/keystone.conf"
mkdir -p $ST/keystone
$HEAVY $KM db_sync > $LOG/keystone-dbsync.log 2>&1 || die "keystone db_sync"
[ -d $ST/keystone/fernet-keys ] || $KM fernet_setup --keystone-user root --keystone-group root >>$LOG/keystone-dbsync.log 2>&1
[ -d $ST/keystone/credential-keys ] || $KM credential_setup --keystone-user root --keystone-group root >>$LOG/keystone-dbsync.log 2>&1
$HEAVY $KM bootstrap --bootstrap-password "$PW" --bootstrap-username admin --bootstrap-project-name admin \
  --bootstrap-role-name admin --bootstrap-region-id RegionOne --bootstrap-admin-url $KS_URL/v3/ \
  --bootstrap-internal-url $KS_URL/v3/ --bootstrap-public-url $KS_URL/v3/ >>$LOG/keystone-dbsync.log 2>&1 || die "keystone bootstrap"
say "keystone db + bootstrap done"
uwsgi_app() { # <name> <port> <processes> <threads> <wsgi-file> <ENV=VAL...>
  local n=$1 p=$2 np=$3 nt=$4 f=$5; shift 5; local envs=(); for e in "$@"; do envs+=(--env "$e"); done
  port_free $p
  start $n uwsgi --plugin python3 --master --die-on-term --no-orphans --lazy-apps --enable-threads --need-app \
    --http-socket $H:$p --add-header "Connection: close" --processes $np --threads $nt --buffer-size 65535 \
    --procname-prefix-spaced "esc-os-$n" --wsgi-file $f "${envs[@]}"; }
uwsgi_app keystone $KS_PORT 1 4 /usr/bin/keystone-wsgi-public OS_KEYSTONE_CONFIG_DIR=$ETC/keystone \
  OS_KEYSTONE_CONFIG_FILES=keystone.conf
wait_for 90 keystone curl -sf $KS_URL/v3
say "keystone up at $KS_URL/v3"
KS_URL=$KS_URL PW=$PW NOVA_URL=$NOVA_URL PLACEMENT_URL=$PLACEMENT_URL GLANCE_URL=$GLANCE_URL NEUTRON_URL=$NEUTRON_URL \
  $PY $HERE/ks_bootstrap.py > $LOG/ks-bootstrap.log 2>&1 || die "keystone users/catalog (see $LOG/ks-bootstrap.log)"
say "keystone service users + catalog registered"

# ---------------------------------------------------------------- 5. Neutron stub
port_free $NEUTRON_PORT
start neutron-stub $PY $HERE/neutron_stub.py $NEUTRON_PORT

# ---------------------------------------------------------------- 6. Glance
cp /etc/glance/glance-api-paste.ini $ETC/glance/
mkdir -p $ST/glance/images
cat > $ETC/glance/glance-api.conf <<EOF
[DEFAULT]
bind_host = $H
bind_port = $GLANCE_PORT
workers = 1
log_file = $LOG/glance-api-app.log
enabled_backends = fs:file
[glance_store]
default_backend = fs
[fs]
filesystem_store_datadir = $ST/glance/images
[os_glance_staging_store]
filesystem_store_datadir = $ST/glance/staging
[os_glance_tasks_store]
filesystem_store_datadir = $ST/glance/tasks
[database]
connection = $(dburl glance glance)
$(authtoken glance)
[paste_deploy]
flavor = keystone
config_file = $ETC/glance/glance-api-paste.ini
[oslo_policy]
enforce_new_defaults = false
EOF
$HEAVY glance-manage --config-file $ETC/glance/glance-api.conf db_sync > $LOG/glance-dbsync.log 2>&1 || die "glance db_sync"
port_free $GLANCE_PORT
start glance-api glance-api --config-file $ETC/glance/glance-api.conf
say "glance db synced, glance-api starting"

# ---------------------------------------------------------------- 7. Placement
cat > $ETC/placement/placement.conf <<EOF
[DEFAULT]
log_file = $LOG/placement-app.log
[placement_database]
connection = $(dburl placement placement)
[api]
auth_strategy = keystone
$(authtoken placement)
EOF
$HEAVY placement-manage --config-file $ETC/placement/placement.conf db sync > $LOG/placement-dbsync.log 2>&1 || die "placement db sync"
uwsgi_app placement $PLACEMENT_PORT 1 4 /usr/bin/placement-api OS_PLACEMENT_CONFIG_DIR=$ETC/placement
say "placement db synced, placement-api starting"

# ---------------------------------------------------------------- 8. Nova
cp /etc/nova/api-paste.ini $ETC/nova/
ksa() { cat <<EOF
auth_type = password
auth_url = $KS_URL/v3
project_domain_name = Default
user_domain_name = Default
project_name = service
username = nova
password = $PW
region_name = RegionOne
EOF
}
cat > $ETC/nova/nova.conf <<EOF
[DEFAULT]
transport_url = $TRANSPORT
my_ip = $H
state_path = $ST/nova
compute_driver = ${COMPUTE_DRIVER:-fake.FakeDriver}
report_interval = 5
service_down_time = 30
heal_instance_info_cache_interval = -1
instance_usage_audit = false
# the fake driver forgets its servers when a compute restarts; never let Nova "correct" that
sync_power_state_interval = -1
metadata_listen = $H
osapi_compute_listen = $H
[api]
auth_strategy = keystone
[api_database]
connection = $(dburl nova nova_api)
[database]
connection = $(dburl nova nova)
$(authtoken nova)
[service_user]
send_service_user_token = true
$(ksa)
[placement]
$(ksa)
[glance]
region_name = RegionOne
[neutron]
$(ksa)
[cinder]
os_region_name = RegionOne
[conductor]
workers = 1
[scheduler]
workers = 1
discover_hosts_in_cells_interval = -1
[filter_scheduler]
host_subset_size = 1
[oslo_concurrency]
lock_path = $ST/nova/lock
[oslo_messaging_notifications]
driver = noop
[vnc]
enabled = false
[spice]
enabled = false
[wsgi]
api_paste_config = $ETC/nova/api-paste.ini
[oslo_policy]
enforce_new_defaults = false
enforce_scope = false
EOF
mkdir -p $ST/nova/lock
NM="nova-manage --config-file $ETC/nova/nova.conf"
$HEAVY $NM api_db sync > $LOG/nova-dbsync.log 2>&1 || die "nova api_db sync"
say "nova api_db synced"
$NM cell_v2 list_cells 2>/dev/null | grep -q ' cell0 ' || \
  $NM cell_v2 map_cell0 --database_connection "$(dburl nova nova_cell0)" >> $LOG/nova-dbsync.log 2>&1 || die "map_cell0"
$NM cell_v2 list_cells 2>/dev/null | grep -q ' cell1 ' || \
  $NM cell_v2 create_cell --name=cell1 --verbose >> $LOG/nova-dbsync.log 2>&1 || die "create_cell"
$HEAVY $NM db sync >> $LOG/nova-dbsync.log 2>&1 || die "nova db sync"
say "nova cell0/cell1 mapped, cell DBs synced"
uwsgi_app nova-api $NOVA_PORT ${NOVA_API_PROCESSES:-2} 1 /usr/bin/nova-api-wsgi OS_NOVA_CONFIG_DIR=$ETC/nova
start nova-conductor nova-conductor --config-file $ETC/nova/nova.conf --log-file $LOG/nova-conductor-app.log
start nova-scheduler nova-scheduler --config-file $ETC/nova/nova.conf --log-file $LOG/nova-scheduler-app.log
for i in $(seq 1 $N_COMPUTE); do
  mkdir -p $ST/nova/compute-$i/instances $ST/nova/compute-$i/lock
  cat > $ETC/nova/compute-$i.conf <<EOF
[DEFAULT]
host = compute-$i
instances_path = $ST/nova/compute-$i/instances
[oslo_concurrency]
lock_path = $ST/nova/compute-$i/lock
# computes talk to the DB only through nova-conductor, as in a real deployment
[database]
connection =
[api_database]
connection =
EOF
  start nova-compute-$i nova-compute --config-file $ETC/nova/nova.conf --config-file $ETC/nova/compute-$i.conf \
    --log-file $LOG/nova-compute-$i-app.log
done
say "nova-api, conductor, scheduler, $N_COMPUTE x nova-compute started"

# ---------------------------------------------------------------- 9. health
wait_for 90 glance curl -sf $GLANCE_URL/versions
wait_for 90 placement curl -sf $PLACEMENT_URL/
wait_for 120 nova-api curl -sf $NOVA_URL/
TOKEN=$(curl -sf -D - -o /dev/null -H 'Content-Type: application/json' -d "{\"auth\":{\"identity\":{\"methods\":[\"password\"],
  \"password\":{\"user\":{\"name\":\"admin\",\"domain\":{\"id\":\"default\"},\"password\":\"$PW\"}}},
  \"scope\":{\"project\":{\"name\":\"admin\",\"domain\":{\"id\":\"default\"}}}}}" $KS_URL/v3/auth/tokens \
  | awk 'tolower($1)=="x-subject-token:"{print $2}' | tr -d '\r')
[ -n "$TOKEN" ] || die "could not get an admin token"
computes_up() { [ "$(curl -sf -H "X-Auth-Token: $TOKEN" "$NOVA_URL/v2.1/os-services?binary=nova-compute" \
  | jq '[.services[]|select(.state=="up")]|length')" -ge "$N_COMPUTE" ]; }
wait_for 180 "$N_COMPUTE nova-compute services up" computes_up
$NM cell_v2 discover_hosts --verbose >> $LOG/nova-dbsync.log 2>&1 || die "discover_hosts"
hyp_ok() { [ "$(curl -sf -H "X-Auth-Token: $TOKEN" -H 'OpenStack-API-Version: compute 2.53' "$NOVA_URL/v2.1/os-hypervisors" \
  | jq '.hypervisors|length')" -ge "$N_COMPUTE" ]; }
wait_for 60 "$N_COMPUTE hypervisors" hyp_ok
rp_ok() { [ "$(curl -sf -H "X-Auth-Token: $TOKEN" $PLACEMENT_URL/resource_providers | jq '.resource_providers|length')" -ge "$N_COMPUTE" ]; }
wait_for 60 "$N_COMPUTE resource providers" rp_ok
say "HEALTHY: $N_COMPUTE computes up, hypervisors mapped to cell1, resource providers in placement"

# ---------------------------------------------------------------- 10. report
pss_mb() { local t=0 p; for p in "$@"; do t=$(( t + $(awk '/^Pss:/{print $2}' /proc/$p/smaps_rollup 2>/dev/null || echo 0) )); done; echo $(( t / 1024 )); }
tree_pids() { local p=$1; echo $p; for c in $(pgrep -P $p); do tree_pids $c; done; }
echo; echo "== memory (PSS, MiB) =="; ALL=()
for f in $RUN/*.pid; do n=$(basename $f .pid); [ $n = mariadbd ] && continue
  pids=$(tree_pids $(cat $f) | sort -u); ALL+=($pids); printf '  %-16s %5s\n' $n "$(pss_mb $pids)"; done
EPMD=$(ss -ltnpH "sport = :$EPMD_PORT" | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2 || true); [ -n "$EPMD" ] && ALL+=($EPMD)
printf '  %-16s %5s\n' TOTAL "$(pss_mb $(printf '%s\n' "${ALL[@]}" | sort -u))"
echo; echo "== listening sockets of our processes =="
ss -ltnpH | grep -E "pid=($(printf '%s|' "${ALL[@]}" | sed 's/|$//'))," | awk '{print "  "$4}' | sort -u
cat > $RV/clouds.yaml <<EOF
# written by .ci/openstack/up.sh: OS_CLIENT_CONFIG_FILE=$RV/clouds.yaml OS_CLOUD=escalator
clouds:
  escalator:
    auth:
      auth_url: $KS_URL/v3
      username: admin
      password: $PW
      project_name: admin
      user_domain_id: default
      project_domain_id: default
    region_name: RegionOne
    identity_api_version: 3
EOF
cat > $RV/openrc <<EOF
export OS_AUTH_URL=$KS_URL/v3 OS_USERNAME=admin OS_PASSWORD=$PW OS_PROJECT_NAME=admin
export OS_USER_DOMAIN_ID=default OS_PROJECT_DOMAIN_ID=default OS_IDENTITY_API_VERSION=3 OS_REGION_NAME=RegionOne
EOF
echo; echo "== endpoints (admin/$PW, project admin, domain default; source $RV/openrc) =="
echo "  identity   $KS_URL/v3"; echo "  compute    $NOVA_URL/v2.1"; echo "  placement  $PLACEMENT_URL"
echo "  image      $GLANCE_URL"; echo "  network    $NEUTRON_URL (stub)"; echo "  amqp       $TRANSPORT"; echo "  mariadb    $H:$DB_PORT"
echo "  clouds.yaml $RV/clouds.yaml (OS_CLIENT_CONFIG_FILE=$RV/clouds.yaml OS_CLOUD=escalator)"
say "up.sh done in $(ts)"
