#!/usr/bin/python3
"""drain.py - time how long a running server's archiver takes to empty its
WAL backlog (used by bench/archive.sh).

The server must already run with archiving blocked and the new archiver
settings written to its configuration.  This script notes the backlog (the
.ready files in pg_wal/archive_status), sends SIGHUP to the postmaster to
switch the archiver on, and polls until no .ready file is left.  Meanwhile it
samples the peak memory (VmHWM) and CPU time of the archiver process and of
the processes whose command line matches --procs/--any-proc (pgBackRest's
async and local processes), and the CPU time of the whole machine, and
beforehand how busy the machine is without the archiver (background; it
waits up to --quiet-wait seconds for that to drop to --quiet).  Prints
one line of key=value pairs; exit status 0 when drained, 1 on timeout or when
the backlog stops shrinking for --stall seconds.
"""

import argparse
import os
import signal
import sys
import time


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--pgdata", required=True)
    p.add_argument("--timeout", type=float, default=300)
    p.add_argument("--stall", type=float, default=60)
    p.add_argument("--poll", type=float, default=0.05)
    p.add_argument("--sample", type=float, default=0.2,
                   help="seconds between memory samples")
    p.add_argument("--procs", action="append", default=[],
                   help="word the command line of extra processes to watch "
                        "must contain (repeat: all must match)")
    p.add_argument("--any-proc", action="append", default=[],
                   help="alternatives, one of which must also match")
    p.add_argument("--list", help="write the backlog file names here")
    p.add_argument("--quiet", type=float, default=0.10,
                   help="start once other processes use at most this share "
                        "of the CPUs (over one second)")
    p.add_argument("--quiet-wait", type=float, default=30,
                   help="seconds to wait for that at most")
    return p.parse_args()


def ready_names(status_dir):
    return [e.name[:-len(".ready")] for e in os.scandir(status_dir)
            if e.name.endswith(".ready")]


def proc_stat(pid):
    """(ppid, command line) of pid, or None when it is gone"""
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return None
    # the command name in parentheses may itself contain spaces
    ppid = int(stat[stat.rindex(")") + 2:].split()[1])
    return ppid, cmd


def age_seconds(pid):
    """seconds since process pid started"""
    with open("/proc/%d/stat" % pid) as f:
        stat = f.read()
    start_ticks = int(stat[stat.rindex(")") + 2:].split()[19])
    with open("/proc/uptime") as f:
        uptime = float(f.read().split()[0])
    return uptime - start_ticks / os.sysconf("SC_CLK_TCK")


def wait_archiver_restartable(postmaster, limit):
    """The postmaster restarts the archiver (as it does when archive_library
    changes) at once only if the archiver started at least 10 s ago (PG15,
    PGARCH_RESTART_INTERVAL); else it waits for its next idle wake-up, up to
    60 s.  Wait until the running archiver is old enough."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        sampler = Sampler(postmaster, [], [])
        sampler.sample()
        if sampler.archiver_pid is not None:
            try:
                age = age_seconds(sampler.archiver_pid)
            except OSError:
                continue
            if age >= 11.5:
                return
            time.sleep(11.5 - age)
        else:
            time.sleep(0.1)
    sys.exit("drain.py: no archiver process under postmaster %d" % postmaster)


def cpu_ticks(pid):
    """user + system clock ticks of every thread of pid (0 when gone)"""
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
    except OSError:
        return 0
    fields = stat[stat.rindex(")") + 2:].split()
    return int(fields[11]) + int(fields[12])


def machine_busy_ticks():
    """clock ticks all CPUs spent on anything but idle and iowait"""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    return sum(fields[:8]) - fields[3] - fields[4]


def hwm_kb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class Sampler:
    """peak memory of the archiver and of the extra processes"""

    def __init__(self, postmaster, words, alternatives):
        self.postmaster = postmaster
        self.words = words
        self.alternatives = alternatives
        self.archiver_pid = None
        self.archiver_kb = 0
        self.extra_kb = 0
        self.extra_hwm = {}
        self.cpu = {}       # pid -> (ticks at the start, last ticks)
        self.started = False
        self.archiver_pids = set()
        self.extra_pids = set()

    def note_cpu(self, pid):
        ticks = cpu_ticks(pid)
        # a process born after the start counts from zero
        first = self.cpu.get(pid, (ticks if not self.started else 0, 0))[0]
        self.cpu[pid] = (first, max(ticks, self.cpu.get(pid, (0, 0))[1]))

    def cpu_seconds(self, pids):
        hz = os.sysconf("SC_CLK_TCK")
        return sum(self.cpu[p][1] - self.cpu[p][0] for p in pids) / hz

    def matches(self, cmd):
        if not self.words and not self.alternatives:
            return False
        if not all(w in cmd for w in self.words):
            return False
        return not self.alternatives or any(a in cmd for a in self.alternatives)

    def sample(self):
        self.archiver_pid = None
        live = {}
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            pid = int(entry.name)
            if pid == os.getpid():
                continue
            st = proc_stat(pid)
            if st is None:
                continue
            ppid, cmd = st
            if ppid == self.postmaster and cmd.startswith("postgres: ") \
                    and "archiver" in cmd:
                self.archiver_pid = pid
                self.archiver_kb = max(self.archiver_kb, hwm_kb(pid))
                self.archiver_pids.add(pid)
                self.note_cpu(pid)
            elif self.matches(cmd):
                live[pid] = hwm_kb(pid)
                self.extra_pids.add(pid)
                self.note_cpu(pid)
        # processes alive together: their high-water marks add up
        self.extra_hwm.update(live)
        self.extra_kb = max(self.extra_kb, sum(live.values()))

    def final(self):
        """read the archiver once more: VmHWM only grows"""
        if self.archiver_pid is not None:
            self.archiver_kb = max(self.archiver_kb, hwm_kb(self.archiver_pid))
            self.note_cpu(self.archiver_pid)


def main():
    args = parse_args()
    status_dir = os.path.join(args.pgdata, "pg_wal", "archive_status")
    with open(os.path.join(args.pgdata, "postmaster.pid")) as f:
        postmaster = int(f.readline())

    names = sorted(ready_names(status_dir))
    size = sum(os.path.getsize(os.path.join(args.pgdata, "pg_wal", n))
               for n in names)
    if args.list:
        with open(args.list, "w") as f:
            f.write("".join(n + "\n" for n in names))

    wait_archiver_restartable(postmaster, 30)
    # other jobs make the figures noisy: wait a little for a quiet machine
    quiet_until = time.monotonic() + args.quiet_wait
    while True:
        busy = machine_busy_ticks()
        time.sleep(1)
        background = (machine_busy_ticks() - busy) \
            / os.sysconf("SC_CLK_TCK") / os.cpu_count()
        if background <= args.quiet or time.monotonic() >= quiet_until:
            break
    sampler = Sampler(postmaster, args.procs, args.any_proc)
    sampler.sample()
    sampler.started = True
    busy = machine_busy_ticks()
    start = time.monotonic()
    os.kill(postmaster, signal.SIGHUP)
    status = "ok"
    left = len(names)
    last_progress = start
    next_sample = start
    while True:
        now = time.monotonic()
        if now >= next_sample:
            sampler.sample()
            next_sample = now + args.sample
        count = len(ready_names(status_dir))
        if count == 0:
            break
        if count < left:
            left = count
            last_progress = now
        if now - start > args.timeout:
            status = "timeout"
            break
        if now - last_progress > args.stall:
            status = "stalled"
            break
        time.sleep(args.poll)
    elapsed = time.monotonic() - start
    busy = (machine_busy_ticks() - busy) / os.sysconf("SC_CLK_TCK")
    sampler.final()
    sampler.sample()

    print("status=%s files=%d bytes=%d left=%d seconds=%.3f "
          "archiver_hwm_kb=%d extra_hwm_kb=%d archiver_cpu=%.2f extra_cpu=%.2f "
          "machine_cpu=%.2f background=%.2f"
          % (status, len(names), size, count, elapsed,
             sampler.archiver_kb, sampler.extra_kb,
             sampler.cpu_seconds(sampler.archiver_pids),
             sampler.cpu_seconds(sampler.extra_pids), busy, background))
    return 0 if status == "ok" else 1


if __name__ == "__main__":
    sys.exit(main())
