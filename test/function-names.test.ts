/**
 * `list` reads function names from the binary without binaryen; they must be
 * the names the instrument pass writes into its metadata, module by module.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { instrument } from '../src/instrument/pass.js';
import { readModuleFunctions } from '../src/instrument/function-names.js';
import { WasmFormatError } from '../src/abi/index.js';

const FIXTURES = 'wasm-fixtures/build';
const modules = [
  ...readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.wasm'))
    .map((f) => path.join(FIXTURES, f)),
  // real modules: no name section (exports and imports name things), and a debug build with one
  'node_modules/sql.js/dist/sql-wasm.wasm',
  'node_modules/sql.js/dist/sql-wasm-debug.wasm',
  'node_modules/playwright-core/lib/webp_codec.wasm',
];

describe('readModuleFunctions', () => {
  it.each(modules)('%s: the names, counts and module name the pass records', (file) => {
    const bytes = new Uint8Array(readFileSync(file));
    const { metadata } = instrument(bytes);
    expect(readModuleFunctions(bytes)).toEqual({
      functionCount: metadata.functionCount,
      importCount: metadata.importCount,
      names: metadata.names,
      moduleName: metadata.moduleName,
    });
  });

  it('rejects what is not a module with a WasmFormatError', () => {
    expect(() => readModuleFunctions(new TextEncoder().encode('hello'))).toThrow(WasmFormatError);
    const hash = new Uint8Array(readFileSync(path.join(FIXTURES, 'hash.wasm')));
    expect(() => readModuleFunctions(hash.subarray(0, hash.length - 7))).toThrow(WasmFormatError);
  });
});
