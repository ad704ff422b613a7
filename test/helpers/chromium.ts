/**
 * Real headless Chromium for browser tests: Debian's /usr/bin/chromium,
 * driven by playwright-core (which never downloads a browser of its own),
 * and a static file server for the repository on 127.0.0.1.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = process.env['WASM_FTRACE_CHROMIUM'] ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
  '--disable-quic',
];

/** Throws, saying how to install it, when there is no Chromium: the browser tests must run, not skip. */
export function requireChromium(): string {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `the browser tests need Chromium at ${CHROMIUM}, and it is missing. Install it with\n` +
        `  sudo apt-get update && sudo apt-get install -y chromium\n` +
        `(Debian/Ubuntu; .ci/run does this in CI), or set WASM_FTRACE_CHROMIUM to a Chromium or Chrome binary.`,
    );
  }
  return CHROMIUM;
}

export interface Chromium {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Headless Chromium with a fresh, empty profile (removed by close()). */
export async function launchChromium(): Promise<Chromium> {
  const executablePath = requireChromium();
  const userDataDir = await mkdtemp(path.join(tmpdir(), 'wasm-ftrace-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, { executablePath, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1100, height: 900 } });
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.txt': 'text/plain; charset=utf-8',
};

const ISOLATED = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };

export interface StaticServer {
  /** http://127.0.0.1:PORT (no trailing slash) */
  url: string;
  close(): Promise<void>;
}

/**
 * Serves the files under `root` (GET and HEAD only) on 127.0.0.1, on a free
 * port. Pages are cross-origin isolated (COOP + COEP), as a page that wants
 * performance.now() at 5 us rather than 100 us would be served.
 */
export async function serveDirectory(root: string): Promise<StaticServer> {
  const base = path.resolve(root);
  const server: Server = createServer((req, res) => {
    void (async () => {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405).end();
        return;
      }
      let rel: string;
      try {
        rel = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      } catch {
        res.writeHead(400).end();
        return;
      }
      if (rel === '/__blank.html') {
        res.writeHead(200, { 'content-type': MIME['.html']!, ...ISOLATED }).end(req.method === 'HEAD' ? undefined : '<!doctype html><link rel="icon" href="data:,"><title>blank</title>');
        return;
      }
      const file = path.join(base, rel);
      if (file !== base && !file.startsWith(base + path.sep)) {
        res.writeHead(403).end();
        return;
      }
      try {
        if (!(await stat(file)).isFile()) throw new Error('not a file');
        const body = await readFile(file);
        res.writeHead(200, { 'content-type': MIME[path.extname(file)] ?? 'application/octet-stream', 'content-length': body.length, 'cache-control': 'no-store', ...ISOLATED });
        res.end(req.method === 'HEAD' ? undefined : body);
      } catch {
        res.writeHead(404, { 'content-type': MIME['.txt']! }).end(req.method === 'HEAD' ? undefined : 'not found');
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
