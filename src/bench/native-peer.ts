/**
 * The native peer: what tracing every call costs a native program, for the
 * same C source as the `c` workload. workload.c is built for the host with
 * `clang -O2 -pg`, and `uftrace record` (function_graph-like: entry and exit
 * of every function, with timestamps) runs it; the same source built without
 * -pg and run plainly is its baseline. Each is timed at N and at 0 rounds of
 * the workload, so process start-up and uftrace's own set-up cancel out:
 *
 *   ns per call = ((uftrace(N) - uftrace(0)) - (plain(N) - plain(0))) / calls(N)
 *
 * with calls(N) counted by `uftrace report` (its `linux:` pseudo-entries
 * left out), and times in CPU time of the process tree (GNU time, 10 ms
 * resolution: hence many rounds). Medians of `reps` alternating runs. Needs clang and uftrace
 * (Debian packages clang and uftrace); reports why it was skipped otherwise.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface NativePeerResult {
  /** what ran */
  label: string;
  uftrace: string;
  compiler: string;
  /** workload rounds per timed run */
  rounds: number;
  /** calls recorded per timed run */
  calls: number;
  /** the plain native build: ns per call (its whole run divided by the calls uftrace counted) */
  plainNsPerCall: number;
  /** uftrace's overhead per call over the plain build, in CPU time of the process tree (what the target compares) */
  uftraceNsPerCall: number;
  /** the same in wall time (includes uftrace waiting on its writers and the disk; noisy on a loaded machine) */
  uftraceWallNsPerCall: number;
  /** whether the times are CPU times (GNU time found) or wall times */
  cpuTime: boolean;
  /** uftrace record over plain, whole runs (start-up excluded) */
  ratio: number;
}

export type NativePeer = { ok: true; result: NativePeerResult } | { ok: false; reason: string };

function version(cmd: string, args: string[]): string | null {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error || r.status !== 0) return null;
  return (r.stdout || r.stderr).split('\n')[0]!.trim();
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/**
 * CPU time (user + system, ms) of one run and everything it forked, as GNU
 * time reports it: on a loaded machine wall time mostly measures the other
 * processes. Without /usr/bin/time, wall time.
 */
function timed(cmd: string, args: string[], cwd: string): { cpu: number; wall: number } {
  const gnuTime = existsSync('/usr/bin/time');
  const t0 = process.hrtime.bigint();
  const r = gnuTime
    ? spawnSync('/usr/bin/time', ['-f', 'CPU %U %S', cmd, ...args], { cwd, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' })
    : spawnSync(cmd, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.error || r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.error?.message ?? r.stderr.trim().split('\n')[0]}`);
  if (!gnuTime) return { cpu: wallMs, wall: wallMs };
  const m = /CPU ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr);
  if (!m) throw new Error(`no CPU time from /usr/bin/time for ${cmd}`);
  return { cpu: (Number(m[1]) + Number(m[2])) * 1000, wall: wallMs };
}

/** Sum of the Calls column of `uftrace report`, without linux: pseudo-functions. */
function countCalls(dataDir: string, cwd: string): number {
  const text = execFileSync('uftrace', ['report', '--no-pager', '-d', dataDir], { cwd, encoding: 'utf8' });
  let calls = 0;
  for (const line of text.split('\n')) {
    const m = /^\s*[\d.]+ \w+\s+[\d.]+ \w+\s+(\d+)\s+(\S.*)$/.exec(line);
    if (m && !m[2]!.startsWith('linux:')) calls += Number(m[1]);
  }
  return calls;
}

export function measureNativePeer(source: string, options: { rounds?: number; reps?: number } = {}): NativePeer {
  const uftrace = version('uftrace', ['--version']);
  if (!uftrace) return { ok: false, reason: 'uftrace is not installed (Debian: apt-get install uftrace)' };
  const compiler = version('clang', ['--version']);
  if (!compiler) return { ok: false, reason: 'clang is not installed (Debian: apt-get install clang)' };
  const rounds = options.rounds ?? 50;
  const reps = options.reps ?? 5;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wasm-ftrace-native-'));
  try {
    // -w: workload.c's export_name attribute means nothing to a native build
    source = path.resolve(source);
    execFileSync('clang', ['-O2', '-w', '-o', 'plain', source], { cwd: dir });
    execFileSync('clang', ['-O2', '-w', '-pg', '-o', 'pg', source], { cwd: dir });
    const plain: { cpu: number; wall: number }[][] = [[], []];
    const traced: { cpu: number; wall: number }[][] = [[], []];
    for (let rep = 0; rep < reps; rep++) {
      for (const [k, n] of [[0, 0], [1, rounds]] as const) {
        plain[k]!.push(timed('./plain', [String(n)], dir));
        traced[k]!.push(timed('uftrace', ['record', '-d', `data${k}`, './pg', String(n)], dir));
      }
    }
    const calls = countCalls(`data1`, dir) - countCalls(`data0`, dir);
    const span = (runs: { cpu: number; wall: number }[][], k: 'cpu' | 'wall'): number => median(runs[1]!.map((r) => r[k])) - median(runs[0]!.map((r) => r[k]));
    const plainMs = span(plain, 'cpu');
    const tracedMs = span(traced, 'cpu');
    return {
      ok: true,
      result: {
        label: `workload.c built with clang -O2 -pg, run(${rounds}) under uftrace record`,
        uftrace,
        compiler,
        rounds,
        calls,
        plainNsPerCall: (plainMs * 1e6) / calls,
        uftraceNsPerCall: ((tracedMs - plainMs) * 1e6) / calls,
        uftraceWallNsPerCall: ((span(traced, 'wall') - span(plain, 'wall')) * 1e6) / calls,
        cpuTime: existsSync('/usr/bin/time'),
        ratio: plainMs > 0 ? tracedMs / plainMs : Infinity,
      },
    };
  } catch (e) {
    return { ok: false, reason: (e as Error).message.split('\n')[0]! };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
