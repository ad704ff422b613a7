#!/usr/bin/env node
// Per-file mutation counts and every surviving or uncovered mutant, from the
// JSON reports `npm run mutate` writes (reports/mutation/*.json, or the files
// given). A file found in several reports is taken from the newest.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const dir = 'reports/mutation';
const given = process.argv.slice(2);
const reports = (given.length ? given : readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => path.join(dir, f)))
  .map((f) => ({ f, mtime: statSync(f).mtimeMs }))
  .sort((a, b) => a.mtime - b.mtime);
const files = new Map();
for (const { f } of reports) for (const [name, r] of Object.entries(JSON.parse(readFileSync(f, 'utf8')).files)) files.set(name, r);

const total = { Killed: 0, Timeout: 0, Survived: 0, NoCoverage: 0, Ignored: 0 };
const rows = [];
const survivors = [];
for (const [name, r] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
  const c = { Killed: 0, Timeout: 0, Survived: 0, NoCoverage: 0, Ignored: 0 };
  for (const m of r.mutants) c[m.status] = (c[m.status] ?? 0) + 1;
  for (const k of Object.keys(total)) total[k] += c[k] ?? 0;
  rows.push([name, c]);
  const lines = r.source.split('\n');
  for (const m of r.mutants.filter((m) => m.status === 'Survived' || m.status === 'NoCoverage').sort((a, b) => a.location.start.line - b.location.start.line || a.location.start.column - b.location.start.column)) {
    const { line, column } = m.location.start;
    survivors.push(`| ${path.basename(name)}:${line}:${column} | ${m.status} | ${m.mutatorName} \`${m.replacement.replace(/\|/g, '\\|').replace(/\s+/g, ' ')}\` | \`${lines[line - 1].trim().replace(/\|/g, '\\|').slice(0, 90)}\` |`);
  }
}
const score = (c) => {
  const detected = c.Killed + c.Timeout;
  const valid = detected + c.Survived + c.NoCoverage;
  return valid === 0 ? 'n/a' : `${((100 * detected) / valid).toFixed(2)}%`;
};
console.log('| file | score | killed | timeout | survived | no coverage | ignored |');
console.log('|---|---:|---:|---:|---:|---:|---:|');
for (const [name, c] of [...rows, ['total', total]]) console.log(`| ${name} | ${score(c)} | ${c.Killed} | ${c.Timeout} | ${c.Survived} | ${c.NoCoverage} | ${c.Ignored} |`);
console.log('\n| where | status | mutation | code |\n|---|---|---|---|');
for (const s of survivors) console.log(s);
