/**
 * The flame graph: calls aggregated by stack, drawn as an icicle (root on
 * top, callees below, heaviest first). Width is inclusive time (call count
 * when the trace has no time). Click a frame to zoom into it, click an
 * ancestor (or double click) to zoom out. Frames under half a pixel are not
 * visited, so drawing is bounded by what is visible.
 */
import { formatDuration } from './model.js';
import { DIM, DIM_TEXT, FONT, ROW, TEXT, canvasView, escapeHtml, fitCanvas, fitLabel, hideTip, showTip, sourceTip, type Shared } from './shared.js';

export class FlameGraph {
  readonly root: HTMLDivElement;
  private readonly canvas: HTMLCanvasElement;
  private s: Shared | null = null;
  private zoomNode = 0;
  private scrollY = 0;
  private w = 1;
  private h = 1;
  private frame = 0;
  /** drawn frames, for hit tests: x, y, width, node */
  private hx: number[] = [];
  private hy: number[] = [];
  private hw: number[] = [];
  private hn: number[] = [];
  stats = { rects: 0, labels: 0, ms: 0 };

  constructor(parent: HTMLElement) {
    ({ root: this.root, canvas: this.canvas } = canvasView(parent, 'wft-flame'));
    this.wire();
  }

  setData(s: Shared): void {
    this.s = s;
    this.zoomNode = 0;
    this.scrollY = 0;
  }

  requestRender(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  private weightOf(node: number): number {
    const f = this.s!.calls.flame;
    return f.weight === 'total' ? f.total[node]! : f.calls[node]!;
  }

  render(): { rects: number; labels: number; ms: number } {
    const t = performance.now();
    const { w, h, ctx } = fitCanvas(this.canvas);
    this.w = w;
    this.h = h;
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, w, h);
    this.hx = [];
    this.hy = [];
    this.hw = [];
    this.hn = [];
    const st = { rects: 0, labels: 0, ms: 0 };
    const s = this.s;
    if (!s) return (this.stats = st);
    const f = s.calls.flame;
    const maxScroll = Math.max(0, (f.maxDepth + 2) * ROW - h);
    this.scrollY = Math.max(0, Math.min(this.scrollY, maxScroll));
    ctx.font = FONT;
    ctx.textBaseline = 'middle';
    const draw = (node: number, x: number, width: number, faded: boolean): void => {
      const y = 4 + f.depth[node]! * ROW - this.scrollY;
      if (y + ROW < 0 || y > h) return;
      const nm = f.name[node]!;
      const on = !faded && (s.match === null || s.match[nm] === 1 || node === 0);
      ctx.fillStyle = on ? (node === 0 ? '#c9ccd3' : s.colors[nm]!) : DIM;
      ctx.fillRect(x, y, width > 3 ? width - 0.5 : width, ROW - 1);
      st.rects++;
      this.hx.push(x);
      this.hy.push(y);
      this.hw.push(width);
      this.hn.push(node);
      if (width > 24) {
        const label = fitLabel(s.calls.names[nm]!, width);
        if (label) {
          ctx.fillStyle = on ? TEXT : DIM_TEXT;
          ctx.fillText(label, x + 3, y + ROW / 2);
          st.labels++;
        }
      }
    };
    // Ancestors of the zoomed frame: full width, faded.
    for (let a = f.parent[this.zoomNode]!; a >= 0; a = f.parent[a]!) draw(a, 0, w, true);
    const zw = this.weightOf(this.zoomNode);
    if (zw > 0) {
      const stack: Array<[node: number, x: number, width: number]> = [[this.zoomNode, 0, w]];
      while (stack.length) {
        const [node, x, width] = stack.pop()!;
        draw(node, x, width, false);
        const nw = this.weightOf(node);
        if (nw <= 0) continue;
        let cx = x;
        let k = f.childStart[node]!;
        const kEnd = f.childStart[node + 1]!;
        for (; k < kEnd; k++) {
          const c = f.childList[k]!;
          const cw = (width * this.weightOf(c)) / nw;
          if (cw < 0.5) break; // children are sorted by weight: the rest are smaller
          stack.push([c, cx, cw]);
          cx += cw;
        }
        if (k < kEnd) {
          // the children too narrow to draw, merged into one grey block
          let rest = 0;
          for (let j = k; j < kEnd; j++) rest += this.weightOf(f.childList[j]!);
          const rw = (width * rest) / nw;
          const y = 4 + (f.depth[node]! + 1) * ROW - this.scrollY;
          if (rw >= 0.5 && y + ROW >= 0 && y <= h) {
            ctx.fillStyle = '#c9ccd3';
            ctx.fillRect(cx, y, Math.max(1, rw), ROW - 1);
            st.rects++;
          }
        }
      }
    }
    st.ms = performance.now() - t;
    return (this.stats = st);
  }

  hit(mx: number, my: number): number {
    for (let i = this.hn.length - 1; i >= 0; i--) {
      if (my >= this.hy[i]! && my < this.hy[i]! + ROW && mx >= this.hx[i]! && mx < this.hx[i]! + Math.max(1, this.hw[i]!)) return this.hn[i]!;
    }
    return -1;
  }

  zoomTo(node: number): void {
    this.zoomNode = node;
    this.requestRender();
  }

  private tipHtml(node: number): string {
    const s = this.s!;
    const f = s.calls.flame;
    let childTotal = 0;
    for (let k = f.childStart[node]!; k < f.childStart[node + 1]!; k++) childTotal += f.total[f.childList[k]!]!;
    const all = this.weightOf(0);
    const pct = all > 0 ? ((100 * this.weightOf(node)) / all).toFixed(2) : '0';
    const time = f.weight === 'total';
    return (
      `<b>${escapeHtml(s.calls.names[f.name[node]!]!)}</b><br>` +
      sourceTip(s.calls.sources[f.name[node]!]) +
      (time ? `total ${escapeHtml(formatDuration(f.total[node]!, s.calls.counter))} (${pct}%)<br>` : `${pct}% of calls<br>`) +
      (time && node !== 0 ? `self ${escapeHtml(formatDuration(Math.max(0, f.total[node]! - childTotal), s.calls.counter))}<br>` : '') +
      `calls ${f.calls[node]!}<br>depth ${f.depth[node]!}`
    );
  }

  private wire(): void {
    const c = this.canvas;
    c.addEventListener('mousemove', (e) => {
      if (!this.s) return;
      const r = c.getBoundingClientRect();
      const node = this.hit(e.clientX - r.left, e.clientY - r.top);
      c.style.cursor = node >= 0 ? 'pointer' : '';
      if (node < 0) hideTip(this.s.tip);
      else showTip(this.s.tip, this.tipHtml(node), e.clientX, e.clientY);
    });
    c.addEventListener('mouseleave', () => this.s && hideTip(this.s.tip));
    c.addEventListener('click', (e) => {
      const r = c.getBoundingClientRect();
      const node = this.hit(e.clientX - r.left, e.clientY - r.top);
      if (node >= 0) this.zoomTo(node);
    });
    c.addEventListener('dblclick', () => this.zoomTo(0));
    c.addEventListener(
      'wheel',
      (e) => {
        e.preventDefault();
        this.scrollY += e.deltaMode === 1 ? e.deltaY * 16 : e.deltaY;
        this.requestRender();
      },
      { passive: false },
    );
  }
}
