// The exports the example page calls, in order, with their arguments.
// test/browser.test.ts makes the same calls in Node and compares the traces.
export const FIXTURE = 'wasm-fixtures/build/recursion.wasm';
export const CALLS = [
  ['fact', [5]],
  ['fib', [6]],
  ['is_even', [4]],
  ['combo', []],
];
