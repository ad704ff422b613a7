/**
 * The Vite plugin (`wasm-ftrace/vite`): instruments `.wasm` at dev-server
 * and build time, so the page ships only the small runtime
 * (wasm-ftrace/runtime), never binaryen.js.
 *
 *   // vite.config.js
 *   import wasmFtrace from 'wasm-ftrace/vite';
 *   export default { plugins: [wasmFtrace({ tracer: 'function_graph' })] };
 *
 * - `vite` (dev server): every `.wasm` the page fetches is served
 *   instrumented (once per content), and each HTML page gets the runtime as
 *   its first module script, started with the options: `wasmFtrace.text()`
 *   in the console.
 * - `vite build`: nothing changes unless `build: true`; then the `.wasm`
 *   assets are emitted instrumented (never inlined as data: URLs, whatever
 *   build.assetsInlineLimit says), so are the `.wasm` files of public/
 *   (copied as they are by Vite, then instrumented in the output), and the
 *   pages get the runtime too. An asset's hashed file name is the original's.
 *
 * Node only; `vite` is the user's own (a peer).
 */
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { searchForWorkspaceRoot, type Plugin, type ResolvedConfig, type UserConfig } from 'vite';
import { attachModule, createInstrumenter, includes, runtimeFile, type WasmFtracePluginOptions } from './options.js';

export type { WasmFtracePluginOptions } from './options.js';

/** The URL of the module that starts tracing (in the page's HTML), and its id inside Vite. */
const ATTACH_URL = '/@wasm-ftrace/attach.js';
const ATTACH_ID = '\0wasm-ftrace-attach';

export default function wasmFtrace(options: WasmFtracePluginOptions = {}): Plugin {
  const instrument = createInstrumenter(options);
  let config: ResolvedConfig;
  let active = false;

  const instrumented = (bytes: Uint8Array, file: string, warn: (m: string) => void): Uint8Array => {
    const r = instrument(bytes, file);
    if (r.warning) warn(r.warning);
    return r.bytes;
  };

  return {
    name: 'wasm-ftrace',

    config(user: UserConfig, env): UserConfig {
      const tracing = env.command === 'serve' || options.build === true;
      if (!tracing) return {};
      const runtimeDir = path.dirname(runtimeFile());
      const out: UserConfig = { server: { fs: { allow: [runtimeDir] } } };
      // Setting fs.allow turns off Vite's own guess of the workspace root: keep it.
      if (!user.server?.fs?.allow) out.server!.fs!.allow!.unshift(searchForWorkspaceRoot(path.resolve(user.root ?? process.cwd())));
      if (env.command === 'build') {
        const theirs = user.build?.assetsInlineLimit;
        out.build = {
          assetsInlineLimit: (file: string, content: Buffer) =>
            includes(options, file) ? false : typeof theirs === 'function' ? theirs(file, content) : undefined,
        };
      }
      return out;
    },

    configResolved(c) {
      config = c;
      active = c.command === 'serve' || options.build === true;
    },

    resolveId(id) {
      return active && id === ATTACH_URL ? ATTACH_ID : null;
    },

    load(id) {
      return id === ATTACH_ID ? attachModule(options, runtimeFile()) : null;
    },

    // 'pre': before Vite reads the page's scripts, so that a build bundles this one too, as the first
    transformIndexHtml: {
      order: 'pre',
      handler() {
        if (!active) return [];
        return [{ tag: 'script', attrs: { type: 'module', src: ATTACH_URL }, injectTo: 'head-prepend' }];
      },
    },

    configureServer(server) {
      if (!active) return;
      server.middlewares.use((req, res, next) => {
        const url = (req.url ?? '').split(/[?#]/)[0]!;
        if (!/\.wasm$/i.test(url)) return next();
        void (async () => {
          const file = await wasmFileOf(decodeURIComponent(url), config);
          if (!file || !includes(options, file)) return next();
          const bytes = instrumented(await readFile(file), path.relative(config.root, file), (m) => config.logger.warn(m));
          res.setHeader('content-type', 'application/wasm');
          res.setHeader('cache-control', 'no-cache');
          res.end(bytes);
        })().catch(next);
      });
    },

    // Vite copies public/ into the output as it is (before this hook): its .wasm files there are instrumented in place.
    async writeBundle(output) {
      if (!active || config.command !== 'build' || !config.build.copyPublicDir || !config.publicDir || !output.dir) return;
      for (const rel of await wasmFilesUnder(config.publicDir)) {
        const file = path.join(config.publicDir, rel);
        const target = path.join(output.dir, rel);
        if (!includes(options, file) || !(await isFile(target))) continue;
        await writeFile(target, instrumented(await readFile(file), rel.split(path.sep).join('/'), (m) => this.warn(m)));
      }
    },

    generateBundle(_output, bundle) {
      if (!active) return;
      for (const asset of Object.values(bundle)) {
        if (asset.type !== 'asset' || !includes(options, asset.fileName)) continue;
        const source = typeof asset.source === 'string' ? new TextEncoder().encode(asset.source) : asset.source;
        asset.source = instrumented(source, asset.fileName, (m) => this.warn(m));
      }
    },
  };
}

export { wasmFtrace };

/** The file a dev-server URL names: /@fs/<absolute path>, a path under the root, or one in publicDir. */
async function wasmFileOf(url: string, config: ResolvedConfig): Promise<string | null> {
  const base = config.base.endsWith('/') ? config.base : `${config.base}/`;
  const candidates: string[] = [];
  if (url.startsWith('/@fs/')) candidates.push(url.slice('/@fs'.length));
  else {
    const rel = url.startsWith(base) ? url.slice(base.length) : url.replace(/^\//, '');
    candidates.push(path.join(config.root, rel));
    if (config.publicDir) candidates.push(path.join(config.publicDir, rel));
  }
  for (const file of candidates) {
    if (!isInside(file, config)) continue;
    if (await isFile(file)) return file;
  }
  return null;
}

/** The .wasm files under `dir`, as paths relative to it. */
async function wasmFilesUnder(dir: string): Promise<string[]> {
  const all = await readdir(dir, { recursive: true }).catch(() => [] as string[]);
  return all.filter((f) => /\.wasm$/i.test(f));
}

function isFile(file: string): Promise<boolean> {
  return stat(file).then((s) => s.isFile(), () => false);
}

/** Only what Vite itself would serve (server.fs.allow). */
function isInside(file: string, config: ResolvedConfig): boolean {
  const f = path.resolve(file);
  return config.server.fs.allow.some((dir) => f === path.resolve(dir) || f.startsWith(path.resolve(dir) + path.sep));
}
