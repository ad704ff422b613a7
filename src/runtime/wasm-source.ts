/**
 * What the program hands the WebAssembly API, as bytes: a BufferSource
 * copied the way the engine copies it, a Response the engine would accept.
 * Browser-safe.
 */

/** A copy of a BufferSource's bytes (the engine copies them at call time too), or null for anything else. */
export function copyBytes(source: unknown): Uint8Array<ArrayBuffer> | null {
  try {
    if (source instanceof ArrayBuffer) return new Uint8Array(source.slice(0));
    if (ArrayBuffer.isView(source)) return new Uint8Array(source.buffer, source.byteOffset, source.byteLength).slice();
  } catch {
    // detached, or a shared buffer the engine will judge
  }
  return null;
}

/**
 * The bytes of a Response the engine would accept (a Response, status ok,
 * body unused, MIME type `application/wasm`), or null: then the original
 * streaming function gets it and fails with its own error. Engines differ
 * on parameters after the type (`application/wasm; charset=...`): Node 20
 * compares the whole header, the spec only the essence. For such a header
 * the engine itself is asked, once per header value, with an empty module.
 */
export async function wasmResponseBytes(response: unknown, compileStreaming: ((s: unknown) => Promise<unknown>) | undefined): Promise<Uint8Array<ArrayBuffer> | null> {
  if (typeof Response === 'undefined' || !(response instanceof Response)) return null;
  if (!response.ok || response.bodyUsed) return null;
  const header = response.headers.get('content-type') ?? '';
  if (header !== 'application/wasm') {
    if (header.split(';')[0]!.trim().toLowerCase() !== 'application/wasm' || !compileStreaming) return null;
    let accepted = acceptedTypes.get(header);
    if (accepted === undefined) {
      const empty = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
      accepted = await compileStreaming(new Response(empty, { headers: { 'content-type': header } })).then(
        () => true,
        () => false,
      );
      acceptedTypes.set(header, accepted);
    }
    if (!accepted) return null;
  }
  return new Uint8Array(await response.arrayBuffer());
}
const acceptedTypes = new Map<string, boolean>();

export function fileName(url: string): string {
  const path = url.split(/[?#]/)[0] ?? '';
  const base = path.slice(path.lastIndexOf('/') + 1);
  try {
    return decodeURIComponent(base);
  } catch {
    return base;
  }
}
