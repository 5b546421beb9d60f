/**
 * Standalone SVG charts as strings: no DOM, no browser. One function, `chart`, draws axes with
 * ticks, labels, a legend, any number of line / scatter series with optional error bars, vertical
 * markers (e.g. the stopping point) and the y = x diagonal; `grid` puts several charts side by side.
 * Points that cannot be drawn (non-finite, or ≤ 0 on a log axis) are skipped, never written as NaN.
 */
import { at } from '../util/checked.js';

export interface Series {
  label: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  /** Half-widths of error bars (e.g. standard errors over seeds), same length as y. */
  yErr?: ArrayLike<number>;
  /** 'line' (default) draws a polyline with point markers; 'scatter' only markers. */
  kind?: 'line' | 'scatter';
  color?: string;
  dashed?: boolean;
}

export interface Marker {
  x: number;
  label: string;
  color?: string;
}

export interface ChartOptions {
  title?: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  xLog?: boolean;
  yLog?: boolean;
  width?: number;
  height?: number;
  /** Vertical lines with a label (the stopping point). */
  markers?: Marker[];
  /** Horizontal reference lines (e.g. ratio = 1). */
  hLines?: { y: number; label?: string }[];
  /** Draw y = x across the plot (inferred vs true scatter). */
  diagonal?: boolean;
  /**
   * Prefix of the ids inside the SVG (its clip path). Default: derived from the chart's content,
   * so different charts inlined in one page never share an id, and the output stays deterministic.
   */
  id?: string;
  /** Most point markers drawn on one line series; longer curves get every k-th (default 60). */
  maxMarkers?: number;
}

/** Estimated width of a label in the 12 px sans-serif used here (no font metrics without a DOM). */
export const CHAR_WIDTH = 6.5;

/** FNV-1a of the chart's content: a stable, short id prefix. */
function contentId(o: ChartOptions): string {
  let h = 0x811c9dc5;
  const mix = (t: string): void => { for (let i = 0; i < t.length; i++) h = Math.imul(h ^ t.charCodeAt(i), 0x01000193); };
  mix(`${o.title ?? ''}|${o.xLabel}|${o.yLabel}|${o.width ?? ''}x${o.height ?? ''}`);
  for (const s of o.series) {
    mix(`|${s.label}:${s.x.length}`);
    for (let i = 0; i < s.x.length; i++) mix(`${s.x[i]},${s.y[i]};`);
  }
  for (const m of o.markers ?? []) mix(`|m${m.x}${m.label}`);
  return `spd-${(h >>> 0).toString(36)}`;
}

interface Box { x: number; y: number; w: number; h: number }
const overlaps = (a: Box, b: Box): boolean => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#17becf'];

const XML_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Escape text for XML content and attribute values. */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => XML_ESCAPES[c] ?? c);
}

/** A coordinate with at most 2 decimals (keeps files small); callers guarantee it is finite. */
function f(v: number): string {
  return (Math.round(v * 100) / 100).toString();
}

/** "Nice" linear ticks (1, 2, 5 × 10^k steps) covering [lo, hi]. */
export function linearTicks(lo: number, hi: number, target = 6): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / target;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map((k) => k * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

/**
 * Log ticks: each decade, or 1-2-5 within decades when the range spans fewer than 3; a range too
 * narrow for two of those (e.g. 0.0044–0.0092) gets nice linear ticks, which are readable there.
 */
export function logTicks(lo: number, hi: number): number[] {
  const a = Math.floor(Math.log10(lo));
  const b = Math.ceil(Math.log10(hi));
  const mults = b - a < 3 ? [1, 2, 5] : [1];
  const out: number[] = [];
  for (let e = a; e <= b; e++) for (const m of mults) {
    const v = m * Math.pow(10, e);
    if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out.push(v);
  }
  if (out.length >= 2) return out;
  const lin = linearTicks(lo, hi, 5).filter((v) => v > 0);
  return lin.length >= 2 ? lin : [lo, hi];
}

/** Short tick label. */
export function formatTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(0).replace('e+', 'e');
  return Number(v.toPrecision(3)).toString();
}

interface Axis {
  lo: number;
  hi: number;
  log: boolean;
}

function extent(values: number[], log: boolean): Axis {
  const ok = values.filter((v) => Number.isFinite(v) && (!log || v > 0));
  if (ok.length === 0) return { lo: log ? 1 : 0, hi: log ? 10 : 1, log };
  let lo = Math.min(...ok);
  let hi = Math.max(...ok);
  if (log) {
    if (hi / lo < 1.5) {
      lo /= 1.25;
      hi *= 1.25;
    }
    return { lo, hi, log };
  }
  if (hi === lo) {
    const d = Math.abs(lo) > 0 ? Math.abs(lo) * 0.1 : 1;
    lo -= d;
    hi += d;
  } else {
    const pad = (hi - lo) * 0.05;
    lo -= pad;
    hi += pad;
  }
  return { lo, hi, log };
}

function project(ax: Axis, v: number, a: number, b: number): number {
  const t = ax.log ? (Math.log10(v) - Math.log10(ax.lo)) / (Math.log10(ax.hi) - Math.log10(ax.lo)) : (v - ax.lo) / (ax.hi - ax.lo);
  return a + t * (b - a);
}

function drawable(ax: Axis, v: number): boolean {
  return Number.isFinite(v) && (!ax.log || v > 0);
}

/** One chart as a complete SVG document. */
export function chart(o: ChartOptions): string {
  const W = o.width ?? 560;
  const H = o.height ?? 380;
  const left = 72;
  const right = 16;
  const top = o.title ? 34 : 14;
  const legendRows = o.series.length;
  const bottom = 52;
  const x0 = left;
  const x1 = W - right;
  const y0 = H - bottom;
  const y1 = top;
  const clipId = `${o.id ?? contentId(o)}-plot`;
  // Legend box, top right inside the plot (marker labels are placed around it).
  const lw = legendRows > 0 ? Math.max(...o.series.map((s) => s.label.length)) * CHAR_WIDTH + 34 : 0;
  const legend: Box | null = legendRows > 0 ? { x: x1 - lw - 6, y: y1 + 6, w: lw, h: legendRows * 16 + 6 } : null;

  const xs: number[] = [];
  const ys: number[] = [];
  for (const s of o.series) {
    for (let i = 0; i < s.x.length; i++) {
      // A y shorter than x: the missing points are skipped like non-finite ones.
      const x = s.x[i] ?? NaN;
      const y = s.y[i] ?? NaN;
      if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
      xs.push(x);
      ys.push(y);
      const e = s.yErr?.[i];
      if (e !== undefined && Number.isFinite(e)) {
        ys.push(y + e);
        if (!o.yLog || y - e > 0) ys.push(y - e);
      }
    }
  }
  for (const m of o.markers ?? []) xs.push(m.x);
  for (const h of o.hLines ?? []) ys.push(h.y);
  let X = extent(xs, !!o.xLog);
  let Y = extent(ys, !!o.yLog);
  if (o.diagonal) {
    const lo = Math.min(X.lo, Y.lo);
    const hi = Math.max(X.hi, Y.hi);
    X = { lo, hi, log: X.log };
    Y = { lo, hi, log: Y.log };
  }
  const px = (v: number) => project(X, v, x0, x1);
  const py = (v: number) => project(Y, v, y0, y1);

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="white"/>`);
  if (o.title) out.push(`<text x="${f(W / 2)}" y="20" text-anchor="middle" font-size="14">${escapeXml(o.title)}</text>`);
  out.push(`<defs><clipPath id="${clipId}"><rect x="${x0}" y="${y1}" width="${f(x1 - x0)}" height="${f(y0 - y1)}"/></clipPath></defs>`);
  // Axes, ticks, grid.
  out.push(`<g class="axes" stroke="#444" fill="none"><rect x="${x0}" y="${y1}" width="${f(x1 - x0)}" height="${f(y0 - y1)}"/></g>`);
  const xt = X.log ? logTicks(X.lo, X.hi) : linearTicks(X.lo, X.hi);
  const yt = Y.log ? logTicks(Y.lo, Y.hi) : linearTicks(Y.lo, Y.hi, 5);
  out.push('<g class="ticks" fill="#222">');
  for (const t of xt) {
    const x = px(t);
    if (x < x0 - 0.5 || x > x1 + 0.5) continue;
    out.push(`<line x1="${f(x)}" y1="${y0}" x2="${f(x)}" y2="${y0 + 5}" stroke="#444"/><line x1="${f(x)}" y1="${y0}" x2="${f(x)}" y2="${y1}" stroke="#eee"/>`);
    out.push(`<text x="${f(x)}" y="${y0 + 18}" text-anchor="middle">${escapeXml(formatTick(t))}</text>`);
  }
  for (const t of yt) {
    const y = py(t);
    if (y > y0 + 0.5 || y < y1 - 0.5) continue;
    out.push(`<line x1="${x0 - 5}" y1="${f(y)}" x2="${x0}" y2="${f(y)}" stroke="#444"/><line x1="${x0}" y1="${f(y)}" x2="${x1}" y2="${f(y)}" stroke="#eee"/>`);
    out.push(`<text x="${x0 - 8}" y="${f(y + 4)}" text-anchor="end">${escapeXml(formatTick(t))}</text>`);
  }
  out.push('</g>');
  out.push(`<text x="${f((x0 + x1) / 2)}" y="${H - 12}" text-anchor="middle">${escapeXml(o.xLabel)}</text>`);
  out.push(`<text x="16" y="${f((y0 + y1) / 2)}" text-anchor="middle" transform="rotate(-90 16 ${f((y0 + y1) / 2)})">${escapeXml(o.yLabel)}</text>`);

  out.push(`<g clip-path="url(#${clipId})">`);
  if (o.diagonal) {
    out.push(`<line class="diagonal" x1="${f(px(X.lo))}" y1="${f(py(X.lo))}" x2="${f(px(X.hi))}" y2="${f(py(X.hi))}" stroke="#888" stroke-dasharray="4 3"/>`);
  }
  for (const h of o.hLines ?? []) {
    if (!drawable(Y, h.y)) continue;
    out.push(`<line class="hline" x1="${x0}" y1="${f(py(h.y))}" x2="${x1}" y2="${f(py(h.y))}" stroke="#888" stroke-dasharray="2 2"/>`);
  }
  // Marker labels: right of the line, or left of it near the right edge; moved down past the
  // legend and past labels already placed, never outside the plot.
  const placed: Box[] = legend ? [legend] : [];
  for (const m of o.markers ?? []) {
    if (!drawable(X, m.x)) continue;
    const x = px(m.x);
    const w = m.label.length * CHAR_WIDTH;
    const right = x + 4 + w <= x1 - 2;
    const box: Box = { x: right ? x + 4 : x - 4 - w, y: y1 + 3, w, h: 14 };
    if (box.x < x0 + 2) box.x = x0 + 2;
    for (let guard = 0; guard < 100 && placed.some((b) => overlaps(b, box)); guard++) {
      const hit = placed.find((b) => overlaps(b, box))!;
      box.y = hit.y + hit.h + 1;
    }
    if (box.y + box.h > y0) box.y = y0 - box.h - 2;
    placed.push(box);
    out.push(`<g class="marker"><line x1="${f(x)}" y1="${y1}" x2="${f(x)}" y2="${y0}" stroke="${m.color ?? '#000'}" stroke-dasharray="6 3"/>`);
    out.push(`<text x="${f(box.x)}" y="${f(box.y + 11)}" data-width="${f(w)}" fill="${m.color ?? '#000'}">${escapeXml(m.label)}</text></g>`);
  }
  o.series.forEach((s, k) => {
    const color = s.color ?? at(PALETTE, k % PALETTE.length, 'palette');
    const pts: [number, number][] = [];
    const bars: string[] = [];
    for (let i = 0; i < s.x.length; i++) {
      const x = s.x[i] ?? NaN;
      const y = s.y[i] ?? NaN;
      if (!drawable(X, x) || !drawable(Y, y)) continue;
      pts.push([px(x), py(y)]);
      const e = s.yErr?.[i];
      if (e !== undefined && Number.isFinite(e) && e > 0) {
        const lo = Y.log && y - e <= 0 ? Y.lo : y - e;
        const a = py(lo);
        const b = py(y + e);
        const cx = px(x);
        bars.push(`<path d="M${f(cx)} ${f(a)}V${f(b)}M${f(cx - 3)} ${f(a)}h6M${f(cx - 3)} ${f(b)}h6"/>`);
      }
    }
    out.push(`<g class="series" data-label="${escapeXml(s.label)}" data-points="${pts.length}">`);
    if ((s.kind ?? 'line') === 'line' && pts.length > 1) {
      const d = pts.map(([x, y], i) => `${i ? 'L' : 'M'}${f(x)} ${f(y)}`).join('');
      out.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="1.6"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/>`);
    }
    if (bars.length) out.push(`<g class="errorbars" stroke="${color}">${bars.join('')}</g>`);
    const r = s.kind === 'scatter' ? 2.5 : 3;
    // Point markers on a long line are thinned to every k-th point (the line keeps them all).
    const every = s.kind === 'scatter' ? 1 : Math.max(1, Math.ceil(pts.length / (o.maxMarkers ?? 60)));
    for (const [x, y] of pts.filter((_, i) => i % every === 0)) out.push(`<circle cx="${f(x)}" cy="${f(y)}" r="${r}" fill="${color}"${s.kind === 'scatter' ? ' fill-opacity="0.6"' : ''}/>`);
    out.push('</g>');
  });
  out.push('</g>');
  // Legend, top right inside the plot.
  if (legend) {
    const lx = legend.x;
    const ly = legend.y;
    out.push(`<g class="legend"><rect x="${f(lx)}" y="${ly}" width="${f(lw)}" height="${legend.h}" fill="white" fill-opacity="0.85" stroke="#ccc"/>`);
    o.series.forEach((s, k) => {
      const color = s.color ?? at(PALETTE, k % PALETTE.length, 'palette');
      const y = ly + 14 + k * 16;
      out.push(`<line x1="${f(lx + 6)}" y1="${y - 4}" x2="${f(lx + 24)}" y2="${y - 4}" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/>`);
      out.push(`<text x="${f(lx + 28)}" y="${y}">${escapeXml(s.label)}</text>`);
    });
    out.push('</g>');
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/** Several charts side by side (`cols` per row) in one SVG document. */
export function grid(charts: ChartOptions[], cols = 2): string {
  const w = charts[0]?.width ?? 560;
  const h = charts[0]?.height ?? 380;
  const rows = Math.ceil(charts.length / cols);
  const W = w * Math.min(cols, charts.length);
  const H = h * rows;
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">`];
  charts.forEach((c, i) => {
    // Each nested chart gets its own ids, even when two panels have the same content.
    const inner = chart({ ...c, width: w, height: h, id: `${c.id ?? contentId({ ...c, width: w, height: h })}-${i}` })
      .replace('<svg xmlns="http://www.w3.org/2000/svg"', `<svg x="${(i % cols) * w}" y="${Math.floor(i / cols) * h}"`);
    parts.push(inner);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
