/**
 * The viewer as one self-contained HTML page: the bundled viewer script
 * inlined, and optionally the trace inside it, as a base64 data file
 * (`<script type="application/octet-stream" id="wasm-ftrace-data">`) or as
 * JSON (`<script type="application/json" id="wasm-ftrace-trace">`: a
 * TraceData or a Chrome trace). No external resources: the page works
 * offline and from file://.
 *
 * No Node APIs: the browser can build pages too.
 */

export interface EmbeddedTrace {
  /** a wasm-ftrace data file, base64 */
  dataFileBase64?: string;
  /** TraceData or Chrome trace JSON text */
  traceJson?: string;
  /** shown as the trace's name */
  name?: string;
}

const escapeAttr = (s: string): string => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * Text that is safe inside a <script> element: nothing that closes it or
 * starts an HTML comment. In JSON `<` occurs only inside strings, where
 * `\u003c` means the same; in the bundled JavaScript `<\/script` and `<\!--`
 * are the same strings as `</script` and `<!--`.
 */
function scriptSafeJson(json: string): string {
  return json.replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}
function scriptSafeJs(js: string): string {
  // a source map comment would point at a file the page does not have
  return js
    .replace(/\n\/\/# sourceMappingURL=\S*\s*$/, '\n').replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

export function viewerHtml(viewerJs: string, embedded: EmbeddedTrace = {}): string {
  const name = embedded.name ? ` data-name="${escapeAttr(embedded.name)}"` : '';
  let data = '';
  if (embedded.traceJson !== undefined) {
    data = `<script type="application/json" id="wasm-ftrace-trace"${name}>${scriptSafeJson(embedded.traceJson)}</script>\n`;
  } else if (embedded.dataFileBase64 !== undefined) {
    if (!/^[A-Za-z0-9+/=\s]*$/.test(embedded.dataFileBase64)) throw new Error('dataFileBase64 is not base64');
    data = `<script type="application/octet-stream" id="wasm-ftrace-data"${name}>${embedded.dataFileBase64}</script>\n`;
  }
  const title = embedded.name ? `wasm-ftrace: ${escapeAttr(embedded.name)}` : 'wasm-ftrace viewer';
  return (
    '<!doctype html>\n' +
    '<html lang="en">\n<head>\n<meta charset="utf-8">\n' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n' +
    // the page loads nothing from anywhere: say so to the browser too
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data: blob:">\n` +
    `<title>${title}</title>\n</head>\n<body>\n` +
    data +
    `<script type="module">\n${scriptSafeJs(viewerJs)}\n</script>\n` +
    '</body>\n</html>\n'
  );
}
