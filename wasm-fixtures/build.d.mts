/** Types of wasm-fixtures/build.mjs, for the tests that import it. */
export declare const FIXTURES_DIR: string;
export declare const WAT_DIR: string;
export declare const C_DIR: string;
export declare const BUILD_DIR: string;
export declare const CLANG_ARGS: readonly string[];
/** Names (without extension) of the sources with the given extension in dir, sorted. */
export declare function sources(dir: string, ext: string): string[];
/** The wabt features a WAT source asks for on its `;; features:` lines. */
export declare function watFeatures(text: string): Record<string, boolean>;
/** Compiles wasm-fixtures/wat/NAME.wat with wabt, debug names included. */
export declare function buildWat(name: string): Promise<Uint8Array>;
/** Whether clang is on PATH. */
export declare function haveClang(): boolean;
/** Compiles wasm-fixtures/c/NAME.c to wasm-fixtures/build/NAME.wasm; returns the output path. */
export declare function buildC(name: string): string;
