#!/bin/bash
# A single-node Slurm cluster on this machine, from Debian's packages (apt-get install slurm-wlm
# munge), everything under one state folder (no /etc edits): munged with its own key and socket,
# slurmctld and slurmd with a generated slurm.conf (this host as the only node, all its CPUs).
#
#   scripts/slurm/local-cluster.sh start   # prints `export SLURM_CONF=…` for sbatch/squeue/sinfo
#   scripts/slurm/local-cluster.sh stop
#
# SPINDIFF_SLURM_DIR (default /tmp/spindiff-slurm) holds the config, logs, state and pid files.
# Needs root (slurmd runs jobs as their submitter) or a user who may run the daemons.
set -euo pipefail
DIR="${SPINDIFF_SLURM_DIR:-/tmp/spindiff-slurm}"
HOST="$(hostname -s)"
CPUS="$(nproc)"
MEM_MB="$(awk '/MemTotal/ { print int($2 / 1024 * 0.8) }' /proc/meminfo)"
USER_NAME="$(id -un)"

need() { command -v "$1" >/dev/null 2>&1 || { echo "local-cluster: $1 not found (apt-get install -y slurm-wlm munge)" >&2; exit 4; }; }

start() {
  for c in munged slurmctld slurmd sbatch sinfo; do need "$c"; done
  mkdir -p "$DIR"/{munge,state,spool,log}
  chmod 700 "$DIR/munge"
  [ -f "$DIR/munge/munge.key" ] || { dd if=/dev/urandom of="$DIR/munge/munge.key" bs=1024 count=1 status=none; chmod 400 "$DIR/munge/munge.key"; }
  cat > "$DIR/slurm.conf" <<CONF
ClusterName=spindiff-local
SlurmctldHost=$HOST
SlurmUser=$USER_NAME
SlurmdUser=$USER_NAME
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$DIR/munge/munge.socket
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
SlurmctldPort=6817
SlurmdPort=6818
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MaxArraySize=1001
NodeName=$HOST CPUs=$CPUS RealMemory=$MEM_MB State=UNKNOWN
PartitionName=local Nodes=$HOST Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
CONF
  export SLURM_CONF="$DIR/slurm.conf"
  if ! [ -S "$DIR/munge/munge.socket" ]; then
    munged --force --key-file="$DIR/munge/munge.key" --socket="$DIR/munge/munge.socket" \
      --pid-file="$DIR/munge/munged.pid" --log-file="$DIR/log/munged.log" --seed-file="$DIR/munge/munged.seed"
  fi
  slurmctld -f "$SLURM_CONF" || { echo "local-cluster: slurmctld failed to start; $DIR/log/slurmctld.log:" >&2; tail -20 "$DIR/log/slurmctld.log" >&2; exit 5; }
  slurmd -f "$SLURM_CONF" || { echo "local-cluster: slurmd failed to start; $DIR/log/slurmd.log:" >&2; tail -20 "$DIR/log/slurmd.log" >&2; exit 5; }
  for _ in $(seq 1 60); do
    state="$(sinfo -h -N -o '%T' 2>/dev/null | head -1 || true)"
    case "$state" in idle*|mixed*|allocated*) echo "export SLURM_CONF=$SLURM_CONF"; return 0 ;; esac
    sleep 1
  done
  echo "local-cluster: the node did not become idle within 60 s (state: '${state:-none}'); logs in $DIR/log:" >&2
  tail -20 "$DIR/log/slurmctld.log" "$DIR/log/slurmd.log" >&2 || true
  exit 5
}

stop() {
  for f in slurmd.pid slurmctld.pid munge/munged.pid; do
    [ -f "$DIR/$f" ] && kill "$(cat "$DIR/$f")" 2>/dev/null || true
  done
  sleep 1
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
