/**
 * The WebAssembly spec testsuite's .wast files, from Debian: the source
 * package of binaryen (bookworm: binaryen 108) ships binaryen's copy of the
 * spec tests in test/spec/. No npm or Debian binary package ships them, and
 * nothing is fetched from anywhere but Debian's archive, with apt itself
 * (a deb-src entry in a private apt state, so the system's apt setup is left
 * as it is). The top-level .wast files are kept in a cache folder
 * ($WASM_FTRACE_SPEC_CACHE, default ~/.cache/wasm-ftrace/spec); nothing of
 * them is committed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const cache = process.env['WASM_FTRACE_SPEC_CACHE'] ?? path.join(os.homedir(), '.cache/wasm-ftrace/spec');
const SOURCE_PACKAGE = 'binaryen';

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status}): ${(r.stderr || r.stdout || '').trim().split('\n').slice(-3).join(' / ')}`);
  return r.stdout;
}

function codename() {
  const m = /^VERSION_CODENAME=(\S+)/m.exec(readFileSync('/etc/os-release', 'utf8'));
  if (!m) throw new Error('spec fetch: /etc/os-release names no Debian codename');
  return m[1];
}

/** The folder of .wast files, fetched on first use. Returns { dir, origin }. */
export function specTestsuite() {
  const marker = path.join(cache, 'ORIGIN');
  if (existsSync(marker)) return { dir: path.join(cache, 'wast'), origin: readFileSync(marker, 'utf8').trim() };
  const work = mkdtempSync(path.join(os.tmpdir(), 'wasm-ftrace-spec-'));
  try {
    const state = path.join(work, 'apt');
    for (const d of ['lists/partial', 'cache/archives/partial']) mkdirSync(path.join(state, d), { recursive: true });
    const sources = path.join(state, 'sources.list');
    writeFileSync(sources, `deb-src http://deb.debian.org/debian ${codename()} main\n`);
    const apt = ['-o', `Dir::Etc::sourcelist=${sources}`, '-o', 'Dir::Etc::sourceparts=-', '-o', `Dir::State::Lists=${path.join(state, 'lists')}`, '-o', `Dir::Cache=${path.join(state, 'cache')}`, '-o', 'APT::Sandbox::User=root', '-qq'];
    console.log(`spec: fetching Debian's ${SOURCE_PACKAGE} source package (its test/spec/*.wast)`);
    run('apt-get', [...apt, 'update']);
    const src = path.join(work, 'src');
    mkdirSync(src);
    run('apt-get', [...apt, 'source', '--download-only', SOURCE_PACKAGE], { cwd: src });
    const orig = readdirSync(src).find((f) => /\.orig\.tar\.(gz|xz)$/.test(f));
    if (!orig) throw new Error(`spec fetch: no .orig tarball in ${readdirSync(src).join(', ')}`);
    run('tar', ['-xf', orig, '--wildcards', '*/test/spec/*.wast'], { cwd: src });
    const top = readdirSync(src).find((f) => existsSync(path.join(src, f, 'test/spec')));
    mkdirSync(cache, { recursive: true });
    rmSync(path.join(cache, 'wast'), { recursive: true, force: true });
    renameSync(path.join(src, top, 'test/spec'), path.join(cache, 'wast'));
    const origin = `Debian ${codename()} source package ${SOURCE_PACKAGE} (${orig}), test/spec`;
    writeFileSync(marker, `${origin}\n`);
    return { dir: path.join(cache, 'wast'), origin };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
