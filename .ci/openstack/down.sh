#!/bin/bash
# down.sh - stop what up.sh started, by the PIDs it recorded under $DIR/run (never by
# process name: other stacks may run on the same machine), plus the epmd that RabbitMQ
# spawned on our own port. Bounded waits. `down.sh --purge` also wipes the state folder.
RV=${ESCALATOR_OPENSTACK_DIR:-${TMPDIR:-/tmp}/escalator-openstack}; RUN=$RV/run; EPMD_PORT=${EPMD_PORT:-14369}
order="nova-compute-1 nova-compute-2 nova-compute-3 nova-scheduler nova-conductor nova-api placement glance-api neutron-stub keystone rabbitmq mariadb"
for n in $order $(ls $RUN/*.pid 2>/dev/null | xargs -n1 basename 2>/dev/null | sed 's/\.pid$//'); do
  f=$RUN/$n.pid; [ -f $f ] || continue; [ $n = mariadbd ] && { rm -f $f; continue; }
  p=$(cat $f); if kill -0 $p 2>/dev/null; then kill -TERM $p; for i in $(seq 1 30); do kill -0 $p 2>/dev/null || break; sleep 0.5; done
    kill -0 $p 2>/dev/null && { echo "$n ($p) still alive, SIGKILL"; kill -KILL $p; }; fi
  rm -f $f; echo "stopped $n"
done
E=$(ss -ltnpH "sport = :$EPMD_PORT" 2>/dev/null | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)
[ -n "$E" ] && kill -TERM $E && echo "stopped epmd ($E)"
[ "$1" = "--purge" ] && rm -rf $RV/state $RV/run $RV/clouds.yaml $RV/openrc && echo "state purged"
exit 0
