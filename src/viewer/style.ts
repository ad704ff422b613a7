/** The viewer's stylesheet (one <style> element, added once per document). */
export const VIEWER_CSS = `
html, body { height: 100%; margin: 0; }
.wft { display: flex; flex-direction: column; height: 100%; min-height: 360px; position: relative;
  font: 13px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d2026; background: #fff; }
.wft-bar { display: flex; align-items: center; gap: 10px; padding: 6px 10px; background: #f4f5f7;
  border-bottom: 1px solid #d5d8de; flex: none; min-width: 0; }
.wft-logo { font-weight: 600; color: #3b4252; }
.wft-tabs { display: flex; gap: 2px; }
.wft-tabs button { font: inherit; border: 1px solid transparent; background: none; padding: 4px 10px;
  border-radius: 4px; cursor: pointer; color: #3b4252; }
.wft-tabs button:hover { background: #e7e9ee; }
.wft-tabs button.wft-active { background: #fff; border-color: #c7cbd3; color: #0b57d0; font-weight: 600; }
.wft-search { font: inherit; width: 16em; padding: 4px 8px; border: 1px solid #c7cbd3; border-radius: 4px; }
.wft-open { font: inherit; padding: 4px 10px; border: 1px solid #c7cbd3; border-radius: 4px; background: #fff;
  cursor: pointer; white-space: nowrap; }
.wft-open input { display: none; }
.wft-info { color: #5b6270; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; min-width: 0; flex: 1; }
.wft-info.wft-error { color: #b3261e; font-weight: 600; }
.wft-main { flex: 1; position: relative; overflow: hidden; min-height: 0; }
.wft-view { position: absolute; inset: 0; }
.wft-view canvas { display: block; cursor: default; }
.wft-timeline canvas { cursor: grab; }
.wft-table { overflow: auto; }
.wft-table table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
.wft-table th { position: sticky; top: 0; background: #f4f5f7; border-bottom: 1px solid #c7cbd3; padding: 5px 10px;
  cursor: pointer; user-select: none; white-space: nowrap; }
.wft-table th:hover { background: #e7e9ee; }
.wft-table td { padding: 3px 10px; border-bottom: 1px solid #eef0f3; white-space: nowrap; }
.wft-table tr:hover td { background: #f6f8fc; }
.wft-table .wft-num { text-align: right; }
.wft-table .wft-name { text-align: left; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  font-size: 12px; max-width: 50vw; overflow: hidden; text-overflow: ellipsis; }
.wft-table-foot { padding: 8px 10px; color: #5b6270; }
.wft-empty { position: absolute; inset: 0; display: flex; flex-direction: column; align-items: center; justify-content: center;
  text-align: center; color: #5b6270; line-height: 1.8; font-size: 15px; padding: 20px; }
.wft-empty small { font-size: 12px; color: #8a909c; }
.wft-tip { position: fixed; display: none; pointer-events: none; z-index: 10; background: #1d2026; color: #f4f5f7;
  padding: 6px 9px; border-radius: 4px; font-size: 12px; line-height: 1.45; max-width: 480px; word-break: break-all;
  box-shadow: 0 2px 8px rgba(0,0,0,.25); }
.wft-drop { position: absolute; inset: 0; display: none; align-items: center; justify-content: center; z-index: 20;
  background: rgba(11, 87, 208, .08); border: 3px dashed #0b57d0; color: #0b57d0; font-size: 20px; font-weight: 600; }
`;
