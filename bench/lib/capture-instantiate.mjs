/**
 * Preload (`node --import`) that saves the bytes of every module a script
 * hands to WebAssembly.instantiate or WebAssembly.compile, then lets it go on.
 *
 * The npm packages we benchmark on (binaryen.js, wabt) ship their .wasm
 * inside a JS file, in an encoding that changes between emscripten versions;
 * catching the bytes where they reach the engine works for all of them.
 * Files go to `${CAPTURE_OUT}.<n>.wasm`.
 */
import { writeFileSync } from 'node:fs';

const out = process.env.CAPTURE_OUT;
if (!out) throw new Error('capture-instantiate: set CAPTURE_OUT');
let n = 0;

function save(src) {
  let bytes;
  if (src instanceof ArrayBuffer) bytes = new Uint8Array(src);
  else if (ArrayBuffer.isView(src)) bytes = new Uint8Array(src.buffer, src.byteOffset, src.byteLength);
  else return; // already a WebAssembly.Module
  writeFileSync(`${out}.${n++}.wasm`, bytes);
}

for (const name of ['instantiate', 'compile']) {
  const original = WebAssembly[name];
  WebAssembly[name] = function (src, ...rest) {
    save(src);
    return original.call(this, src, ...rest);
  };
}
