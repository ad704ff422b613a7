/**
 * The pass's rewrites, pinned as text (binaryen's lit tests, in spirit):
 * each test/pass-lit/<case>.wat is one small module for one rewrite kind,
 * its first line `;; instrument {options}`; <case>.out.wat is the
 * instrumented module as binaryen prints it when it reads the output back
 * (what `wasm-dis` or `wasm-opt --print` show), reviewed by eye.
 *
 * After changing the pass: `UPDATE_GOLDEN=1 npx vitest run test/pass-golden.test.ts`,
 * then read the diff of test/pass-lit/*.out.wat.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import binaryen, { readBinary, READ_FEATURES } from '../src/instrument/binaryen.js';
import { instrument, type InstrumentOptions } from '../src/instrument/pass.js';

const DIR = path.resolve('test/pass-lit');
const cases = readdirSync(DIR)
  .filter((f) => f.endsWith('.wat') && !f.endsWith('.out.wat'))
  .sort();

/** The input as binaryen writes it from the text, names kept. */
function assemble(text: string): Uint8Array {
  const mod = binaryen.parseText(text);
  try {
    mod.setFeatures(READ_FEATURES);
    if (!mod.validate()) throw new Error('the test input does not validate');
    binaryen.setDebugInfo(true);
    return mod.emitBinary();
  } finally {
    binaryen.setDebugInfo(false);
    mod.dispose();
  }
}

function print(binary: Uint8Array): string {
  const mod = readBinary(binary, READ_FEATURES);
  try {
    return mod.emitText();
  } finally {
    mod.dispose();
  }
}

describe('pass golden text (test/pass-lit)', () => {
  it('has one case per rewrite kind', () => {
    expect(cases).toEqual(['call-indirect-computed.wat', 'call-indirect-const.wat', 'call-ref.wat', 'direct-call.wat', 'legacy-catch-pop.wat', 'return-call-exit.wat']);
  });

  for (const file of cases) {
    it(file.replace(/\.wat$/, ''), () => {
      const source = readFileSync(path.join(DIR, file), 'utf8');
      const header = /^;; instrument (\{.*\})\s*$/m.exec(source.split('\n')[0]!);
      expect(header, `${file}: the first line must be ';; instrument {options}'`).not.toBeNull();
      const options = JSON.parse(header![1]!) as InstrumentOptions;
      const actual = print(instrument(assemble(source), options).binary);
      const golden = path.join(DIR, file.replace(/\.wat$/, '.out.wat'));
      if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(golden, actual);
      expect(actual).toBe(readFileSync(golden, 'utf8'));
    });
  }
});
