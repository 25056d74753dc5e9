#!/bin/bash
# A Slurm on this machine, for tests/test_slurm.py: installs Debian's slurm-wlm and munge if they are
# missing, writes a configuration with two nodes (n1, n2) that are both this machine, each with half
# its CPUs and its own slurmd, and starts munged, slurmctld and the two slurmd. Needs root.
# Idempotent: a second call finds both nodes up and returns.
# Stop it with: tests/local_slurm.sh stop
set -euo pipefail

conf_dir=/etc/slurm
state_dir=/var/spool/slurm-ganstudy
log_dir=/var/log/slurm-ganstudy

ended() {  # stop the named daemons and wait until they are gone
    for name in "$@"; do pkill -x "$name" || true; done
    for _ in $(seq 50); do
        local left=0
        for name in "$@"; do pgrep -x "$name" >/dev/null && left=1; done
        [ "$left" -eq 0 ] && return 0
        sleep 0.2
    done
}
stop_slurm() { ended slurmd slurmctld; }
stop() { ended slurmd slurmctld munged; }
if [ "${1:-}" = "stop" ]; then stop; exit 0; fi

if [ "$(id -u)" -ne 0 ]; then
    echo "local_slurm.sh: needs root (it installs packages and starts Slurm's daemons)" >&2
    exit 2
fi
nodes_up() { [ "$(sinfo -h -N -o %T 2>/dev/null | grep -cE '^(idle|mixed|allocated)')" -eq 2 ]; }
if scontrol ping >/dev/null 2>&1 && nodes_up; then
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

# slurm: this machine is the controller and both nodes. Two slurmd on one host, each on its own
# port, make a real two-node allocation (srun places a step on each), which is what the sbatch
# script's worker loop needs. No cgroups (a container may not delegate them): processes are
# tracked through /proc.
host="$(hostname -s)"
cpus=$(( $(nproc) / 2 > 0 ? $(nproc) / 2 : 1 ))
install -d -m 755 "$conf_dir" "$log_dir"
install -d -o slurm -g slurm -m 755 "$state_dir/ctld" "$state_dir/d-n1" "$state_dir/d-n2"
cat > "$conf_dir/slurm.conf" <<EOF
ClusterName=ganstudy-test
SlurmctldHost=$host
SlurmUser=slurm
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=$state_dir/ctld
SlurmdSpoolDir=$state_dir/d-%n
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd-%n.pid
SlurmctldLogFile=$log_dir/slurmctld.log
SlurmdLogFile=$log_dir/slurmd-%n.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
NodeName=n1 NodeHostname=$host NodeAddr=127.0.0.1 Port=17001 CPUs=$cpus State=UNKNOWN
NodeName=n2 NodeHostname=$host NodeAddr=127.0.0.1 Port=17002 CPUs=$cpus State=UNKNOWN
PartitionName=test Nodes=n1,n2 Default=YES MaxTime=INFINITE State=UP
EOF
chown slurm:slurm "$state_dir/ctld"

stop_slurm  # daemons of an earlier configuration would not read this one
/usr/sbin/slurmctld
/usr/sbin/slurmd -N n1
/usr/sbin/slurmd -N n2
for _ in $(seq 60); do
    if nodes_up; then exit 0; fi
    sleep 1
done
echo "local_slurm.sh: the nodes did not come up; see $log_dir/slurmctld.log and $log_dir/slurmd-n*.log" >&2
sinfo >&2 || true
exit 1
