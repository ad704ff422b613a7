/**
 * An esbuild plugin that rewrites binaryen.js (node_modules/binaryen/index.js)
 * as it goes into a browser bundle, so the bundle survives other people's
 * bundlers, minifiers and pages:
 *
 * 1. `await import("node:module")` (Emscripten's Node branch, never taken in
 *    a browser) becomes `process.getBuiltinModule("module")`: no `node:`
 *    specifier is left for webpack or Vite to choke on or externalize, and
 *    the bundle still loads in Node (>= 20.16).
 * 2. The engine binary, embedded as a 5 MB string of `\xNN` escapes and raw
 *    control characters, becomes base64. A minifier that turns the escapes
 *    into raw Latin-1 characters produces a file that decodes wrongly when a
 *    page serves it as a classic script without `charset=utf-8`
 *    ("CompileError: section was shorter than expected size"); base64 is
 *    ASCII and stays as it is.
 * 3. Its one `WebAssembly.instantiate` goes to the engine's original
 *    function when the drop-in script (page-auto.ts) holds the page's calls
 *    while the library loads: it leaves that original under
 *    Symbol.for('wasm-ftrace.webassembly'). binaryen's own compile is then
 *    never held (no deadlock), whatever a bundler did to URLs or stacks.
 *
 * Each rewrite must match exactly once: a new binaryen.js that no longer
 * fits fails the build here, not on a user's page.
 */
import { readFile } from 'node:fs/promises';

export const OWN_WEBASSEMBLY_KEY = 'wasm-ftrace.webassembly';

/** The value of the template literal whose body starts at `start` (after the backtick), and the offset after its closing backtick. */
function templateLiteral(text, start) {
  let i = start;
  while (i < text.length) {
    const c = text[i];
    if (c === '\\') i += 2;
    else if (c === '`') break;
    else if (c === '$' && text[i + 1] === '{') throw new Error('binaryen-for-browsers: the embedded wasm literal has a substitution');
    else i++;
  }
  if (i >= text.length) throw new Error('binaryen-for-browsers: the embedded wasm literal never ends');
  // eslint-disable-next-line no-new-func
  const value = new Function(`return \`${text.slice(start, i)}\`;`)();
  return { value, end: i + 1 };
}

function replaceOnce(text, pattern, replacement, what) {
  const matches = [...text.matchAll(new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : pattern.flags + 'g'))];
  if (matches.length !== 1) throw new Error(`binaryen-for-browsers: expected one ${what} in binaryen.js, found ${matches.length}`);
  return text.replace(pattern, replacement);
}

export function rewriteBinaryen(source) {
  let text = source;
  text = replaceOnce(text, /await import\("node:module"\)/, 'globalThis.process.getBuiltinModule("module")', 'import("node:module")');
  text = replaceOnce(
    text,
    /\bWebAssembly\.instantiate\(/,
    `(globalThis[Symbol.for(${JSON.stringify(OWN_WEBASSEMBLY_KEY)})]?.instantiate??WebAssembly.instantiate)(`,
    'WebAssembly.instantiate',
  );
  // the embedded engine: NAME(`\0asm...`) where NAME turns a Latin-1 string into bytes
  const call = /([\w$]+)\(`\\0asm/g;
  const found = [...text.matchAll(call)];
  if (found.length !== 1) throw new Error(`binaryen-for-browsers: expected one embedded wasm literal in binaryen.js, found ${found.length}`);
  const at = found[0].index;
  const { value, end } = templateLiteral(text, at + found[0][1].length + 2);
  if (text[end] !== ')') throw new Error('binaryen-for-browsers: the embedded wasm literal is not a lone argument');
  const bytes = Buffer.alloc(value.length);
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c > 0xff) throw new Error('binaryen-for-browsers: the embedded wasm literal is not Latin-1');
    bytes[i] = c;
  }
  const decode = `((s)=>{const b=atob(s),u=new Uint8Array(b.length);for(let i=0;i<b.length;i++)u[i]=b.charCodeAt(i);return u})`;
  text = `${text.slice(0, at)}${decode}("${bytes.toString('base64')}")${text.slice(end + 1)}`;
  return text;
}

/** The esbuild plugin: applies rewriteBinaryen() to binaryen.js. */
export const binaryenForBrowsers = {
  name: 'binaryen-for-browsers',
  setup(build) {
    build.onLoad({ filter: /[\\/]node_modules[\\/]binaryen[\\/]index\.js$/ }, async (args) => ({
      contents: rewriteBinaryen(await readFile(args.path, 'latin1')),
      loader: 'js',
    }));
  },
};
