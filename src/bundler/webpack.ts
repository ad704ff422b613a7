/**
 * The webpack plugin (`wasm-ftrace/webpack`), webpack 5: the Vite plugin's
 * counterpart, with the same options.
 *
 *   // webpack.config.js
 *   import { WasmFtracePlugin } from 'wasm-ftrace/webpack';
 *   export default { plugins: [new WasmFtracePlugin({ tracer: 'function_graph' })] };
 *
 * In a non-production mode (or with `build: true`) every emitted `.wasm`
 * asset (`new URL('./x.wasm', import.meta.url)`, asyncWebAssembly modules,
 * copied files) is instrumented, and the small runtime (wasm-ftrace/runtime,
 * no binaryen.js) is put first in every entry, started with the options.
 * The assets are instrumented after webpack has read them, so webpack's own
 * view of a wasm module's imports stays the original's; the runtime supplies
 * the `ftrace` imports the pass added. Node only; `webpack` is the user's
 * own (a peer), reached through `compiler.webpack`.
 */
import type { Compiler } from 'webpack';
import { attachModule, createInstrumenter, includes, runtimeFile, type WasmFtracePluginOptions } from './options.js';

export type { WasmFtracePluginOptions } from './options.js';

const NAME = 'WasmFtracePlugin';
const SCHEME = 'wasm-ftrace';

export class WasmFtracePlugin {
  constructor(readonly options: WasmFtracePluginOptions = {}) {}

  apply(compiler: Compiler): void {
    if (compiler.options.mode === 'production' && this.options.build !== true) return;
    const { webpack } = compiler;
    const instrument = createInstrumenter(this.options);
    const code = attachModule(this.options, runtimeFile());

    // The runtime, first in every entry (a global entry: name undefined)
    new webpack.experiments.schemes.VirtualUrlPlugin({ attach: { type: '.js', source: () => code } }, SCHEME).apply(compiler);
    new webpack.EntryPlugin(compiler.context, `${SCHEME}:attach`, { name: undefined }).apply(compiler);

    compiler.hooks.thisCompilation.tap(NAME, (compilation) => {
      compilation.hooks.processAssets.tap({ name: NAME, stage: webpack.Compilation.PROCESS_ASSETS_STAGE_OPTIMIZE }, (assets) => {
        for (const name of Object.keys(assets)) {
          if (!includes(this.options, name)) continue;
          const r = instrument(new Uint8Array(compilation.getAsset(name)!.source.buffer()), name);
          if (r.warning) compilation.warnings.push(new webpack.WebpackError(r.warning));
          compilation.updateAsset(name, new webpack.sources.RawSource(Buffer.from(r.bytes.buffer, r.bytes.byteOffset, r.bytes.byteLength)));
        }
      });
    });
  }
}

export default WasmFtracePlugin;
