/**
 * What the views share: the trace's calls, colors per name, the search, and
 * the canvas plumbing (device pixels, labels that fit). DOM, no Node APIs.
 */
import { hashName, type CallTable } from './model.js';

export const ROW = 17;
export const FONT = '11px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
/** average width of a label character at FONT, for cutting labels without measureText per frame */
const CHAR_W = 6.2;

export interface Shared {
  calls: CallTable;
  /** per name: fill color */
  colors: string[];
  /** per name: 1 when it matches the search; null without a search */
  match: Uint8Array | null;
  /** the tooltip element */
  tip: HTMLElement;
}

export function nameColors(names: readonly string[]): string[] {
  return names.map((n) => {
    const h = hashName(n);
    // warm-to-cool hues, kept light enough for dark labels
    const hue = h % 360;
    const sat = 55 + ((h >>> 9) % 20);
    const light = 68 + ((h >>> 17) % 12);
    return `hsl(${hue} ${sat}% ${light}%)`;
  });
}

export const DIM = '#e6e7ea';
export const DIM_TEXT = '#9aa0a8';
export const TEXT = '#1d2026';

/** `name` cut to fit `width` px, with an ellipsis; '' when not even 2 characters fit. */
export function fitLabel(name: string, width: number): string {
  const n = Math.floor((width - 6) / CHAR_W);
  if (n >= name.length) return name;
  if (n < 3) return '';
  return `${name.slice(0, n - 1)}…`;
}

/** Sizes a canvas to its box in device pixels; returns the CSS size, and a context scaled to CSS pixels. */
/** A view's root element holding one canvas, added to `parent`. */
export function canvasView(parent: HTMLElement, className: string): { root: HTMLDivElement; canvas: HTMLCanvasElement } {
  const root = document.createElement('div');
  root.className = `wft-view ${className}`;
  const canvas = document.createElement('canvas');
  root.appendChild(canvas);
  parent.appendChild(root);
  return { root, canvas };
}

export function fitCanvas(canvas: HTMLCanvasElement): { w: number; h: number; ctx: CanvasRenderingContext2D } {
  const dpr = Math.max(1, Math.min(3, globalThis.devicePixelRatio || 1));
  const box = canvas.parentElement ?? canvas;
  const w = Math.max(1, box.clientWidth);
  const h = Math.max(1, box.clientHeight);
  const pw = Math.round(w * dpr);
  const ph = Math.round(h * dpr);
  if (canvas.width !== pw || canvas.height !== ph) {
    canvas.width = pw;
    canvas.height = ph;
    canvas.style.width = `${w}px`;
    canvas.style.height = `${h}px`;
  }
  const ctx = canvas.getContext('2d', { alpha: false })!;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return { w, h, ctx };
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A tooltip line with a function's file:line, or nothing when it has none. */
export function sourceTip(source: string | undefined): string {
  return source === undefined ? '' : `<span style="opacity:.75">${escapeHtml(source)}</span><br>`;
}

/** Shows the tooltip near the pointer, kept inside the window. */
export function showTip(tip: HTMLElement, html: string, clientX: number, clientY: number): void {
  tip.innerHTML = html;
  tip.style.display = 'block';
  const r = tip.getBoundingClientRect();
  const vw = globalThis.innerWidth || 1000;
  const vh = globalThis.innerHeight || 800;
  let x = clientX + 14;
  let y = clientY + 14;
  if (x + r.width > vw - 4) x = Math.max(4, clientX - r.width - 10);
  if (y + r.height > vh - 4) y = Math.max(4, clientY - r.height - 10);
  tip.style.left = `${x}px`;
  tip.style.top = `${y}px`;
}

export function hideTip(tip: HTMLElement): void {
  tip.style.display = 'none';
}
