#!/usr/bin/env bash
# A one-node Slurm cluster on this machine for the tests: slurmctld and slurmd on localhost, authenticated by munge.
# Works in containers without systemd or cgroup control (daemons are started directly; process tracking through
# /proc, no task plugin).
#
#   scripts/slurm-test-cluster.sh start   installs slurm-wlm and munge when missing (apt, needs root), writes
#                                         $DIR/slurm.conf for this machine, starts the daemons, waits for the node
#   scripts/slurm-test-cluster.sh stop    stops the daemons it started
#   scripts/slurm-test-cluster.sh env     prints the line that points Slurm's commands at this cluster
#
# DIR is $DDIST_SLURM_DIR or /tmp/ddist-slurm. Slurm's commands find the cluster through SLURM_CONF=$DIR/slurm.conf
# (printed by `start` and `env`), so a machine's own /etc/slurm is left alone.
set -euo pipefail
dir="${DDIST_SLURM_DIR:-/tmp/ddist-slurm}"
conf="$dir/slurm.conf"
export SLURM_CONF="$conf"

log() { echo "slurm-test-cluster: $*" >&2; }
fail() { log "$*"; exit 1; }

install_packages() {
  if command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v sbatch >/dev/null && command -v munged >/dev/null; then return; fi
  [ "$(id -u)" = 0 ] || fail "slurm-wlm and munge are not installed and this is not root: apt-get install slurm-wlm munge"
  log "installing slurm-wlm and munge (apt)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends slurm-wlm munge >&2 || { apt-get update >&2 && apt-get install -y --no-install-recommends slurm-wlm munge >&2; }
}

start_munge() {
  if munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; then return; fi
  [ -s /etc/munge/munge.key ] || { log "creating /etc/munge/munge.key"; mkdir -p /etc/munge; dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null; }
  chown munge:munge /etc/munge/munge.key 2>/dev/null || true
  chmod 400 /etc/munge/munge.key
  mkdir -p /run/munge /var/lib/munge /var/log/munge
  chown munge:munge /run/munge /var/lib/munge /var/log/munge 2>/dev/null || true
  # As the munge user when possible (munged's default); as root it needs --force.
  if id munge >/dev/null 2>&1 && command -v runuser >/dev/null; then runuser -u munge -- /usr/sbin/munged || /usr/sbin/munged --force
  else /usr/sbin/munged --force; fi
  for _ in $(seq 50); do munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1 && { echo munged > "$dir/munge.started"; return; }; sleep 0.1; done
  fail "munged did not come up (see /var/log/munge/munged.log)"
}

write_conf() {
  local host cpus mem
  host="$(hostname -s)"
  # slurmctld and slurmd must resolve the node name; containers sometimes lack the entry.
  getent hosts "$host" >/dev/null || { log "adding $host to /etc/hosts"; echo "127.0.0.1 $host" >> /etc/hosts; }
  cpus="$(nproc)"
  mem="$(free -m | awk '/^Mem:/ { print int($2 * 0.9) }')"
  mkdir -p "$dir/state" "$dir/spool" "$dir/log"
  cat > "$conf" <<CONF
# Written by scripts/slurm-test-cluster.sh for $host: one node, no accounting, no cgroups.
ClusterName=ddist-test
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
SlurmctldPort=${DDIST_SLURMCTLD_PORT:-6817}
SlurmdPort=${DDIST_SLURMD_PORT:-6818}
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
MinJobAge=600
KillWait=2
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
}

wait_idle() {
  local host; host="$(hostname -s)"
  for _ in $(seq 150); do
    local state; state="$(sinfo -h -n "$host" -o '%t' 2>/dev/null || true)"
    case "$state" in
      idle*|mix*|alloc*) log "node $host is $state"; return ;;
      down*|drain*) scontrol update NodeName="$host" State=RESUME >/dev/null 2>&1 || true ;;
    esac
    sleep 0.2
  done
  log "node did not become idle; last lines of the logs:"
  tail -n 20 "$dir/log/slurmctld.log" "$dir/log/slurmd.log" >&2 || true
  exit 1
}

running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

case "${1:-}" in
  start)
    install_packages
    mkdir -p "$dir"
    start_munge
    if running "$dir/slurmctld.pid" && running "$dir/slurmd.pid"; then wait_idle; echo "export SLURM_CONF=$conf"; exit 0; fi
    write_conf
    # -c: fresh state, no jobs left from an earlier run.
    running "$dir/slurmctld.pid" || /usr/sbin/slurmctld -c -f "$conf" || { tail -n 20 "$dir/log/slurmctld.log" >&2; fail "slurmctld did not start"; }
    running "$dir/slurmd.pid" || /usr/sbin/slurmd -f "$conf" || { tail -n 20 "$dir/log/slurmd.log" >&2; fail "slurmd did not start"; }
    wait_idle
    echo "export SLURM_CONF=$conf"
    ;;
  stop)
    for d in slurmd slurmctld; do
      if running "$dir/$d.pid"; then
        pid="$(cat "$dir/$d.pid")"; kill "$pid"
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      fi
    done
    if [ -f "$dir/munge.started" ] && [ -f /run/munge/munged.pid ]; then kill "$(cat /run/munge/munged.pid)" 2>/dev/null || true; rm -f "$dir/munge.started"; fi
    log "stopped"
    ;;
  env) echo "export SLURM_CONF=$conf" ;;
  *) echo "usage: $0 start|stop|env" >&2; exit 2 ;;
esac
