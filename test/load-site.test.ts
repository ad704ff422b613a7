/** Names for modules compiled from bytes: the caller's npm package, or its script and line (src/runtime/load-site.ts). */
import { describe, expect, it } from 'vitest';
import { loadSite, siteName } from '../src/runtime/load-site.js';

describe('load sites', () => {
  it('names a frame by its npm package, scoped or not, else by its script and line', () => {
    expect(siteName('/app/node_modules/sql.js/dist/sql-wasm.js', '98')).toBe('sql.js');
    expect(siteName('file:///app/node_modules/@jsquash/png/codec/pkg/squoosh_png.js', '3')).toBe('@jsquash/png');
    // the innermost node_modules: a package's own dependency
    expect(siteName('/app/node_modules/a/node_modules/b/index.js', '1')).toBe('b');
    expect(siteName('file:///home/me/app.mjs', '12')).toBe('app.mjs:12');
    expect(siteName('https://example.com/js/main.js?v=3', '40')).toBe('main.js:40');
  });

  it("skips the engine's internals and wasm-ftrace's own frames", () => {
    expect(siteName('node:internal/modules/esm/module_job', '1')).toBeNull();
    expect(siteName('<anonymous>', '1')).toBeNull();
    expect(siteName(new URL('../src/runtime/intercept.ts', import.meta.url).href, '300')).toBeNull();
    // called from here: this test file and its line
    expect(loadSite()).toMatch(/^load-site\.test\.ts:\d+$/);
  });
});
