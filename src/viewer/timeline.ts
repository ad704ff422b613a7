/**
 * The timeline: a flame chart over time on a canvas. x is the clock (the
 * sequence number for the counter clock), y the call depth, one band per
 * instance. Only calls inside the view are visited (binary search per
 * depth), and calls narrower than a pixel are merged into one pixel column,
 * so a frame costs O(visible pixels x depth x log calls), not O(calls).
 *
 * Wheel: zoom around the pointer (shift+wheel scrolls, a horizontal wheel
 * pans); drag: pan; double click: show everything.
 */
import { CALL_NO_ENTRY, CALL_NO_EXIT, firstAbove, firstStartAtOrAfter, formatDuration } from './model.js';
import { DIM, DIM_TEXT, FONT, ROW, TEXT, canvasView, escapeHtml, fitCanvas, fitLabel, hideTip, showTip, sourceTip, type Shared } from './shared.js';

const RULER = 22;
const LANE_HEAD = 18;
const LANE_GAP = 6;

/** A ruler label: microseconds in the unit of the value, with as many decimals as the step needs. */
export function formatTick(us: number, step: number): string {
  const m = Math.max(Math.abs(us), step);
  const [unit, per] = m >= 1e6 ? ['s', 1e6] : m >= 1000 ? ['ms', 1000] : m >= 1 ? ['us', 1] : ['ns', 1e-3];
  const decimals = Math.max(0, Math.min(6, -Math.floor(Math.log10(step / per) + 1e-9)));
  return `${(us / per).toFixed(decimals)} ${unit}`;
}

export interface DrawStats {
  /** rectangles drawn (merged pixel columns count once) */
  rects: number;
  labels: number;
  /** calls covered by merged columns */
  merged: number;
  ms: number;
}

export class Timeline {
  readonly root: HTMLDivElement;
  private readonly canvas: HTMLCanvasElement;
  private s: Shared | null = null;
  private viewStart = 0;
  private viewEnd = 1;
  private scrollY = 0;
  private laneTop: number[] = [];
  private contentH = 0;
  private w = 1;
  private h = 1;
  private frame = 0;
  stats: DrawStats = { rects: 0, labels: 0, merged: 0, ms: 0 };

  constructor(parent: HTMLElement) {
    ({ root: this.root, canvas: this.canvas } = canvasView(parent, 'wft-timeline'));
    this.wire();
  }

  setData(s: Shared): void {
    this.s = s;
    this.viewStart = s.calls.t0;
    this.viewEnd = s.calls.t1 + (s.calls.t1 - s.calls.t0) * 0.002;
    this.scrollY = 0;
    let y = RULER;
    this.laneTop = s.calls.lanes.map((ln) => {
      const top = y;
      y += LANE_HEAD + ln.rows * ROW + LANE_GAP;
      return top;
    });
    this.contentH = y;
  }

  /** Draws on the next animation frame (coalesced). */
  requestRender(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  render(): DrawStats {
    const t = performance.now();
    const { w, h, ctx } = fitCanvas(this.canvas);
    this.w = w;
    this.h = h;
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, w, h);
    const s = this.s;
    const st: DrawStats = { rects: 0, labels: 0, merged: 0, ms: 0 };
    if (!s) return (this.stats = st);
    this.clampScroll();
    const { calls, colors, match } = s;
    const { start, end, name } = calls;
    const v0 = this.viewStart;
    const scale = w / (this.viewEnd - v0);
    ctx.font = FONT;
    ctx.textBaseline = 'middle';
    const multi = calls.lanes.length > 1;

    calls.lanes.forEach((ln, l) => {
      const top = this.laneTop[l]! - this.scrollY;
      if (top > h || top + LANE_HEAD + ln.rows * ROW < RULER) return;
      if (top + LANE_HEAD > RULER) {
        ctx.fillStyle = '#f3f4f6';
        ctx.fillRect(0, top, w, LANE_HEAD);
        ctx.fillStyle = '#4a5060';
        ctx.fillText(`${ln.label}${multi ? ` (instance ${ln.instance})` : ''}`, 6, top + LANE_HEAD / 2);
      }
      for (let d = 0; d < ln.rows; d++) {
        const y = top + LANE_HEAD + d * ROW;
        if (y + ROW < RULER || y > h) continue;
        const idx = ln.byDepth[d]!;
        const n = idx.length;
        let k = firstAbove(ln.maxEnd[d]!, v0);
        while (k < n) {
          const i = idx[k]!;
          const s0 = start[i]!;
          if (s0 >= this.viewEnd) break;
          const x0 = (s0 - v0) * scale;
          const x1 = (end[i]! - v0) * scale;
          if (x1 - x0 >= 1) {
            const a = Math.max(x0, -2);
            const b = Math.min(x1, w + 2);
            const nm = name[i]!;
            const on = match === null || match[nm] === 1;
            ctx.fillStyle = on ? colors[nm]! : DIM;
            ctx.fillRect(a, y, b - a > 3 ? b - a - 0.5 : b - a, ROW - 1);
            st.rects++;
            if (b - a > 24) {
              const label = fitLabel(calls.names[nm]!, b - a);
              if (label) {
                ctx.fillStyle = on ? TEXT : DIM_TEXT;
                ctx.fillText(label, Math.max(a, 0) + 3, y + ROW / 2);
                st.labels++;
              }
            }
            k++;
            continue;
          }
          // Narrower than a pixel: every call starting in this pixel column becomes one rectangle.
          const px = Math.floor(x0);
          const tNext = v0 + (px + 1) / scale;
          let kk = firstStartAtOrAfter(idx, start, tNext);
          if (kk <= k) kk = k + 1;
          let on = match === null;
          if (!on) {
            for (let j = k; j < kk && j < k + 64; j++) {
              if (match![name[idx[j]!]!] === 1) {
                on = true;
                break;
              }
            }
          }
          ctx.fillStyle = on ? colors[name[i]!]! : DIM;
          ctx.fillRect(px, y, 1, ROW - 1);
          st.rects++;
          st.merged += kk - k;
          // The last call of the column may reach far beyond it: draw it on its own.
          const last = kk - 1;
          if (last > k && (end[idx[last]!]! - v0) * scale - (start[idx[last]!]! - v0) * scale >= 1) k = last;
          else k = kk;
        }
      }
    });
    this.drawRuler(ctx, w, scale);
    st.ms = performance.now() - t;
    return (this.stats = st);
  }

  private drawRuler(ctx: CanvasRenderingContext2D, w: number, scale: number): void {
    const s = this.s!;
    ctx.fillStyle = '#fafbfc';
    ctx.fillRect(0, 0, w, RULER);
    ctx.fillStyle = '#d5d8de';
    ctx.fillRect(0, RULER - 1, w, 1);
    const raw = 110 / scale;
    const p = 10 ** Math.floor(Math.log10(raw));
    let step = raw / p < 2 ? 2 * p : raw / p < 5 ? 5 * p : 10 * p;
    if (s.calls.counter) step = Math.max(1, Math.round(step));
    const base = s.calls.t0;
    const first = Math.ceil((this.viewStart - base) / step) * step;
    ctx.fillStyle = '#5b6270';
    for (let v = first; base + v <= this.viewEnd; v += step) {
      const x = (base + v - this.viewStart) * scale;
      ctx.fillRect(Math.round(x), RULER - 7, 1, 6);
      ctx.fillText(s.calls.counter ? `#${Math.round(v)}` : formatTick(v, step), Math.round(x) + 3, RULER / 2 - 1);
    }
  }

  /** The call under a point (CSS px in the canvas), or -1. */
  hit(mx: number, my: number): number {
    const s = this.s;
    if (!s || my < RULER) return -1;
    const { start, end } = s.calls;
    const y = my + this.scrollY;
    const l = this.laneTop.findIndex((top, i) => y >= top && y < top + LANE_HEAD + s.calls.lanes[i]!.rows * ROW);
    if (l < 0) return -1;
    const ln = s.calls.lanes[l]!;
    const d = Math.floor((y - this.laneTop[l]! - LANE_HEAD) / ROW);
    if (d < 0 || d >= ln.rows) return -1;
    const scale = this.w / (this.viewEnd - this.viewStart);
    const t = this.viewStart + mx / scale;
    const tol = 1 / scale;
    const idx = ln.byDepth[d]!;
    let best = -1;
    let bestDist = Infinity;
    for (let k = firstAbove(ln.maxEnd[d]!, t - tol), m = 0; k < idx.length && m < 256; k++, m++) {
      const i = idx[k]!;
      if (start[i]! > t + tol) break;
      const dist = t < start[i]! ? start[i]! - t : t > end[i]! ? t - end[i]! : 0;
      if (dist <= tol && dist < bestDist) {
        best = i;
        bestDist = dist;
        if (dist === 0) break;
      }
    }
    return best;
  }

  private tipHtml(i: number): string {
    const c = this.s!.calls;
    const f = c.flags[i]!;
    const dur = c.end[i]! - c.start[i]!;
    const notes: string[] = [];
    if (f & CALL_NO_EXIT) notes.push(c.counter || dur >= 0 ? 'no EXIT in the trace: ends where the trace shows it gone' : 'no EXIT');
    if (f & CALL_NO_ENTRY) notes.push('ENTRY not in the trace (overwritten)');
    const lane = c.lanes[c.lane[i]!]!;
    return (
      `<b>${escapeHtml(c.names[c.name[i]!]!)}</b><br>` +
      sourceTip(c.sources[c.name[i]!]) +
      `duration ${escapeHtml(formatDuration(dur, c.counter))}<br>` +
      `depth ${c.depth[i]!}<br>` +
      `start ${escapeHtml(c.counter ? `#${c.start[i]! - c.t0}` : formatDuration(c.start[i]! - c.t0, false))}` +
      (c.lanes.length > 1 ? `<br>instance ${escapeHtml(lane.label)} (${lane.instance})` : '') +
      notes.map((n) => `<br><i>${escapeHtml(n)}</i>`).join('')
    );
  }

  private clampScroll(): void {
    this.scrollY = Math.max(0, Math.min(this.scrollY, Math.max(0, this.contentH - this.h + 8)));
  }

  /** Zoom by `factor` (< 1 zooms in) around x (CSS px). */
  zoom(factor: number, x: number): void {
    const s = this.s;
    if (!s) return;
    const span = this.viewEnd - this.viewStart;
    const full = s.calls.t1 - s.calls.t0;
    const minSpan = s.calls.counter ? 4 : Math.max(full * 1e-9, 1e-4);
    const next = Math.max(minSpan, Math.min(full * 1.5, span * factor));
    const at = this.viewStart + (x / this.w) * span;
    this.viewStart = at - ((at - this.viewStart) * next) / span;
    this.viewEnd = this.viewStart + next;
    this.requestRender();
  }

  /** Show [a, b] (ts units). */
  setRange(a: number, b: number): void {
    this.viewStart = a;
    this.viewEnd = Math.max(b, a + 1e-6);
    this.requestRender();
  }

  reset(): void {
    if (this.s) this.setData(this.s);
    this.requestRender();
  }

  private wire(): void {
    const c = this.canvas;
    let drag: { x: number; y: number; v0: number; v1: number; sy: number } | null = null;
    c.addEventListener(
      'wheel',
      (e) => {
        e.preventDefault();
        const r = c.getBoundingClientRect();
        const dy = e.deltaMode === 1 ? e.deltaY * 16 : e.deltaY;
        const dx = e.deltaMode === 1 ? e.deltaX * 16 : e.deltaX;
        if (e.shiftKey) {
          this.scrollY += dy;
          this.requestRender();
        } else if (Math.abs(dx) > Math.abs(dy)) {
          const shift = (dx / this.w) * (this.viewEnd - this.viewStart);
          this.viewStart += shift;
          this.viewEnd += shift;
          this.requestRender();
        } else {
          this.zoom(Math.exp(dy * 0.0025), e.clientX - r.left);
        }
      },
      { passive: false },
    );
    c.addEventListener('mousedown', (e) => {
      drag = { x: e.clientX, y: e.clientY, v0: this.viewStart, v1: this.viewEnd, sy: this.scrollY };
      c.style.cursor = 'grabbing';
    });
    window.addEventListener('mouseup', () => {
      drag = null;
      c.style.cursor = '';
    });
    window.addEventListener('mousemove', (e) => {
      if (!drag) return;
      const per = (drag.v1 - drag.v0) / this.w;
      this.viewStart = drag.v0 - (e.clientX - drag.x) * per;
      this.viewEnd = drag.v1 - (e.clientX - drag.x) * per;
      this.scrollY = drag.sy - (e.clientY - drag.y);
      this.requestRender();
    });
    c.addEventListener('mousemove', (e) => {
      if (!this.s) return;
      if (drag) return hideTip(this.s.tip);
      const r = c.getBoundingClientRect();
      const i = this.hit(e.clientX - r.left, e.clientY - r.top);
      if (i < 0) hideTip(this.s.tip);
      else showTip(this.s.tip, this.tipHtml(i), e.clientX, e.clientY);
    });
    c.addEventListener('mouseleave', () => this.s && hideTip(this.s.tip));
    c.addEventListener('dblclick', () => this.reset());
  }
}
