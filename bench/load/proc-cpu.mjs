// CPU time of process trees from /proc (Linux): utime + stime of each process in the tree of
// every root pid (the root and all its descendants, e.g. cluster workers or PostgreSQL's
// backends), in milliseconds. Processes that exit between two readings take their ticks with
// them, so roots should be long-lived (servers, a postmaster with pooled connections). Also the
// whole machine's busy CPU time, to tell how much of it other processes took during a step.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** {pid, ppid, ticks} of every process readable now. */
function allProcesses() {
  const out = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'latin1');
    } catch {
      continue; // exited meanwhile
    }
    // Fields after the command name (which may itself hold spaces and parentheses): state is
    // field 3, ppid 4, utime 14, stime 15 (proc(5)).
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    out.push({ pid: Number(name), ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) });
  }
  return out;
}

/** Nanoseconds the main thread of `pid` has waited on a run queue, runnable but not running (schedstat(2nd field)). */
function runqueueWaitNs(pid) {
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, 'latin1').split(' ')[1]);
  } catch {
    return 0; // exited meanwhile, or a kernel without schedstats
  }
}

/**
 * Milliseconds of CPU used so far by the trees rooted at `roots` (pids), the milliseconds their
 * main threads waited for a CPU while runnable (`waitMs`: a server starved by other work on the
 * machine rather than limited by its own), and the number of processes counted.
 */
export function treeCpuMs(roots) {
  const procs = allProcesses();
  const children = new Map();
  for (const p of procs) {
    if (!children.has(p.ppid)) children.set(p.ppid, []);
    children.get(p.ppid).push(p);
  }
  const byPid = new Map(procs.map((p) => [p.pid, p]));
  const seen = new Set();
  let ticks = 0;
  let waitNs = 0;
  const stack = roots.map((pid) => byPid.get(pid)).filter(Boolean);
  while (stack.length) {
    const p = stack.pop();
    if (seen.has(p.pid)) continue;
    seen.add(p.pid);
    ticks += p.ticks;
    waitNs += runqueueWaitNs(p.pid);
    stack.push(...(children.get(p.pid) ?? []));
  }
  return { ms: (ticks * 1000) / CLK_TCK, waitMs: waitNs / 1e6, pids: seen.size };
}

/** Milliseconds of CPU the whole machine spent busy so far (all cores; /proc/stat's first line, not idle or iowait). */
export function machineBusyMs() {
  const f = readFileSync('/proc/stat', 'latin1').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = f;
  return ((user + nice + system + irq + softirq + (steal ?? 0)) * 1000) / CLK_TCK;
}
