/**
 * Commands that only read never load binaryen (10 MB of wasm, over a second
 * of start-up): run the real launcher in a child whose module resolver
 * refuses the `binaryen` package, and see each command still succeed.
 * Start-up times themselves are measured in bench/startup.mjs, not here.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const BIN = path.resolve('bin/wasm-ftrace.js');
const MODULE = path.resolve('wasm-fixtures/build/hash.wasm');

let dir: string;
let guard: string;
let data: string;
beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'wasm-ftrace-startup-'));
  const hooks = path.join(dir, 'hooks.mjs');
  writeFileSync(
    hooks,
    `export async function resolve(specifier, context, next) {
  if (specifier === 'binaryen') throw new Error('binaryen was loaded');
  return next(specifier, context);
}\n`,
  );
  guard = path.join(dir, 'no-binaryen.mjs');
  writeFileSync(guard, `import { register } from 'node:module';\nregister(${JSON.stringify(new URL(`file://${hooks}`).href)});\n`);
  data = path.join(dir, 'hash.data');
  await run(process.execPath, [BIN, 'record', '-o', data, MODULE], { cwd: dir });
});

function cliWithoutBinaryen(...args: string[]) {
  return run(process.execPath, ['--import', guard, BIN, ...args], { cwd: dir });
}

describe('start-up', () => {
  it('the guard works: instrument, which needs binaryen, fails under it', async () => {
    await expect(cliWithoutBinaryen('instrument', MODULE, '-o', path.join(dir, 'x.wasm'))).rejects.toMatchObject({ stderr: expect.stringContaining('binaryen was loaded') });
  });

  it.each(['--version', '--help', 'record --help', 'list MODULE', 'info DATA', 'report DATA', 'replay DATA', 'dump DATA'])('%s runs without loading binaryen', async (command) => {
    const args = command.split(' ').map((a) => (a === 'DATA' ? data : a === 'MODULE' ? MODULE : a));
    const r = await cliWithoutBinaryen(...args);
    expect(r.stdout.length).toBeGreaterThan(0);
  });
});
