/**
 * The tracers' selftests in the small runtime (wasm-ftrace/runtime): not
 * there. Its build (scripts/build-browser.mjs) gives src/tracers this module
 * where they import ./selftests.js, so that test code stays out of what a
 * page loads; each stand-in says where the selftests are.
 */
function absent(): never {
  throw new Error("the tracers' selftests are not in wasm-ftrace/runtime (wasm-ftrace and wasm-ftrace/browser have them)");
}

export { absent as functionSelftest, absent as nopSelftest, absent as functionGraphSelftest, absent as profilerSelftest };
