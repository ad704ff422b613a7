#!/usr/bin/env node
/**
 * Writes each ```ts and ```js block of the README to test/types/readme/ as a
 * TypeScript file, after a prelude that declares what the README's snippets
 * take as given (`bytes`, `env`, `fs`). tsconfig.*.json then type-check them
 * against the built package, as a user's project would import it.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const readme = readFileSync(path.join(here, '../../README.md'), 'utf8');
const PRELUDE = `// Generated from README.md by test/types/extract-readme.mjs: do not edit.
import { promises as fs } from 'node:fs';
declare const bytes: Uint8Array;
declare const env: WebAssembly.ModuleImports;
void fs, bytes, env;
`;
const out = path.join(here, 'readme');
rmSync(out, { recursive: true, force: true });
mkdirSync(out);
let n = 0;
for (const m of readme.matchAll(/^```(ts|js)\n([\s\S]*?)^```$/gm)) {
  const line = readme.slice(0, m.index).split('\n').length;
  writeFileSync(path.join(out, `example-${++n}.ts`), `${PRELUDE}// README.md line ${line}\n${m[2]}export {};\n`);
}
if (n === 0) throw new Error('extract-readme: no ```ts or ```js block in README.md');
