#!/bin/bash
# A single-node Slurm on this machine, for tests/test_slurm.py: installs Debian's slurm-wlm and munge
# if they are missing, writes a configuration with this machine as the only node, and starts munged,
# slurmctld and slurmd. Needs root. Idempotent: a second call finds the node up and returns.
# Stop it with: tests/local_slurm.sh stop
set -euo pipefail

conf_dir=/etc/slurm
state_dir=/var/spool/slurm-ganstudy
log_dir=/var/log/slurm-ganstudy

stop() {
    pkill -x slurmd || true
    pkill -x slurmctld || true
    pkill -x munged || true
}
if [ "${1:-}" = "stop" ]; then stop; exit 0; fi

if [ "$(id -u)" -ne 0 ]; then
    echo "local_slurm.sh: needs root (it installs packages and starts Slurm's daemons)" >&2
    exit 2
fi
if scontrol ping >/dev/null 2>&1 && sinfo -h -o %T 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then
    exit 0  # already up
fi

missing=0
for tool in slurmctld slurmd sbatch scontrol munged munge; do command -v "$tool" >/dev/null || missing=1; done
if [ "$missing" -eq 1 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q slurm-wlm munge >/dev/null
fi

# munge: a key, then the daemon (Slurm authenticates every message with it)
install -d -o munge -g munge -m 700 /etc/munge /var/lib/munge /var/log/munge
install -d -o munge -g munge -m 755 /run/munge
if [ ! -s /etc/munge/munge.key ]; then
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
fi
chown munge:munge /etc/munge/munge.key
chmod 400 /etc/munge/munge.key
pgrep -x munged >/dev/null || runuser -u munge -- /usr/sbin/munged
for _ in $(seq 20); do munge -n >/dev/null 2>&1 && break; sleep 0.5; done
munge -n | unmunge >/dev/null

# slurm: this machine is the controller and the only node, with what `slurmd -C` reads off it.
# No cgroups (a container may not delegate them): processes are tracked through /proc.
host="$(hostname -s)"
node_line="$(slurmd -C | head -1 | sed "s/ RealMemory=[0-9]*//")"  # memory is not scheduled here
install -d -m 755 "$conf_dir" "$log_dir"
install -d -o slurm -g slurm -m 755 "$state_dir/ctld" "$state_dir/d"
cat > "$conf_dir/slurm.conf" <<EOF
ClusterName=ganstudy-test
SlurmctldHost=$host
SlurmUser=slurm
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=$state_dir/ctld
SlurmdSpoolDir=$state_dir/d
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=$log_dir/slurmctld.log
SlurmdLogFile=$log_dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
$node_line State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
chown slurm:slurm "$state_dir/ctld"

pgrep -x slurmctld >/dev/null || /usr/sbin/slurmctld
pgrep -x slurmd >/dev/null || /usr/sbin/slurmd
for _ in $(seq 60); do
    if sinfo -h -o %T 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then exit 0; fi
    sleep 1
done
echo "local_slurm.sh: the node did not come up; see $log_dir/slurmctld.log and $log_dir/slurmd.log" >&2
sinfo >&2 || true
exit 1
