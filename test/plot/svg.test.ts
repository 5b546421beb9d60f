import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { chart, escapeXml, grid, linearTicks, logTicks } from '../../src/plot/index.js';
import { CHAR_WIDTH } from '../../src/plot/svg.js';
import { checkSvg, parseXml, walk } from './xml.js';

const series = (root: ReturnType<typeof parseXml>) => walk(root).filter((e) => e.attrs['class'] === 'series');

describe('xml checker (the oracle for the charts)', () => {
  it('rejects malformed documents', () => {
    expect(() => parseXml('<a><b></a></b>')).toThrow();
    expect(() => parseXml('<a x=1/>')).toThrow();
    expect(() => parseXml('<a>&nbsp;</a>')).toThrow();
    expect(() => parseXml('<a>x < y</a>')).toThrow();
    expect(() => parseXml('<a/><b/>')).toThrow();
    expect(() => parseXml('<a x="1" x="2"/>')).toThrow();
    expect(parseXml('<a x="1"><b/>t &amp; u<c y=\'2\'></c></a>').children.map((c) => c.name)).toEqual(['b', 'c']);
  });
});

describe('chart', () => {
  it('draws every series with its points, error bars, legend, marker and escaped text', () => {
    const svg = chart({
      title: 'MSE <obs> & "aug"',
      xLabel: 'iterations',
      yLabel: 'MSE',
      yLog: true,
      series: [
        { label: 'obs', x: [1, 2, 3], y: [0.1, 0.05, 0.02], yErr: [0.01, 0.01, 0.005] },
        { label: 'aug+obs', x: [1, 2, 3, 4], y: [0.2, 0.04, 0.01, 0.03], dashed: true },
        { label: 'bad', x: [1, 2, 3], y: [NaN, -1, 0.5] },
      ],
      markers: [{ x: 2.5, label: 'stop' }],
    });
    const root = checkSvg(svg);
    const s = series(root);
    expect(s.map((e) => e.attrs['data-label'])).toEqual(['obs', 'aug+obs', 'bad']);
    // NaN and (on a log axis) negative values are skipped, not drawn.
    expect(s.map((e) => walk(e).filter((c) => c.name === 'circle').length)).toEqual([3, 4, 1]);
    expect(walk(s[0]!).filter((e) => e.attrs['class'] === 'errorbars').length).toBe(1);
    expect(walk(root).some((e) => e.name === 'text' && e.text === 'MSE <obs> & "aug"')).toBe(true);
    expect(walk(root).filter((e) => e.attrs['class'] === 'marker').length).toBe(1);
    expect(walk(root).filter((e) => e.attrs['class'] === 'legend')[0]!.children.filter((c) => c.name === 'text').length).toBe(3);
  });

  it('places points monotonically and inside the plot for any finite data (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.double({ min: -1e6, max: 1e6, noNaN: true })), { minLength: 1, maxLength: 30 }), (pts) => {
        const svg = chart({ xLabel: 'x', yLabel: 'y', series: [{ label: 's', kind: 'scatter', x: pts.map((p) => p[0]), y: pts.map((p) => p[1]) }], diagonal: true });
        const root = checkSvg(svg);
        const circles = walk(series(root)[0]!).filter((e) => e.name === 'circle');
        expect(circles.length).toBe(pts.length);
        for (let i = 0; i < pts.length; i++) {
          const cx = Number(circles[i]!.attrs['cx']);
          const cy = Number(circles[i]!.attrs['cy']);
          expect(cx).toBeGreaterThanOrEqual(71);
          expect(cx).toBeLessThanOrEqual(545);
          for (let j = 0; j < pts.length; j++) {
            // Larger x is never drawn to the left, larger y never lower (SVG y grows downwards).
            if (pts[j]![0] > pts[i]![0]) expect(Number(circles[j]!.attrs['cx'])).toBeGreaterThanOrEqual(cx - 0.011);
            if (pts[j]![1] > pts[i]![1]) expect(Number(circles[j]!.attrs['cy'])).toBeLessThanOrEqual(cy + 0.011);
          }
        }
      }),
      { numRuns: 60 },
    );
  });

  it('grid nests charts with distinct clip ids and stays well-formed', () => {
    const c = { xLabel: 'x', yLabel: 'y', series: [{ label: 'a', x: [1, 2], y: [3, 4] }] };
    const root = checkSvg(grid([c, c, c], 2));
    expect(root.children.filter((e) => e.name === 'svg').length).toBe(3);
    const ids = walk(root).filter((e) => e.name === 'clipPath').map((e) => e.attrs['id']);
    expect(new Set(ids).size).toBe(3);
  });

  it('two different charts inlined in one page share no id, and each references its own clip path', () => {
    const a = chart({ xLabel: 'x', yLabel: 'y', series: [{ label: 'a', x: [1, 2], y: [3, 4] }] });
    const b = chart({ xLabel: 'x', yLabel: 'y', series: [{ label: 'a', x: [1, 2], y: [3, 5] }] });
    const page = checkSvg(`<svg xmlns="http://www.w3.org/2000/svg">${a.replace(/\n$/, '')}${b.replace(/\n$/, '')}</svg>`);
    const ids = walk(page).map((e) => e.attrs['id']).filter(Boolean);
    expect(ids.length).toBe(2);
    expect(new Set(ids).size).toBe(2);
    for (const svg of [a, b]) {
      const id = /clipPath id="([^"]+)"/.exec(svg)![1]!;
      expect(svg).toContain(`url(#${id})`);
      expect(svg).not.toContain('id="plot"');
    }
    expect(chart({ xLabel: 'x', yLabel: 'y', series: [], id: 'fig1' })).toContain('id="fig1-plot"');
    expect(a).toBe(chart({ xLabel: 'x', yLabel: 'y', series: [{ label: 'a', x: [1, 2], y: [3, 4] }] })); // deterministic
  });

  it('marker labels stay inside the plot and clear of the legend and of each other (property)', () => {
    const box = (e: { attrs: Record<string, string>; text?: string }, w: number) => ({ x: Number(e.attrs['x']), y: Number(e.attrs['y']) - 11, w, h: 14 });
    const hit = (p: { x: number; y: number; w: number; h: number }, q: typeof p) => p.x < q.x + q.w && q.x < p.x + p.w && p.y < q.y + q.h && q.y < p.y + p.h;
    fc.assert(fc.property(
      fc.array(fc.double({ min: 0, max: 10, noNaN: true }), { minLength: 1, maxLength: 4 }),
      fc.array(fc.string({ minLength: 1, maxLength: 14 }), { minLength: 1, maxLength: 3 }),
      fc.string({ minLength: 1, maxLength: 12 }),
      (xs, labels, markerLabel) => {
        const W = 420, H = 300;
        const svg = chart({
          xLabel: 'x', yLabel: 'y', width: W, height: H,
          series: labels.map((l, k) => ({ label: l, x: [0, 10], y: [k, k + 1] })),
          markers: xs.map((x, k) => ({ x, label: `${markerLabel}${k}` })),
        });
        const root = checkSvg(svg);
        const plot = walk(root).find((e) => e.name === 'clipPath')!.children[0]!.attrs;
        const [px0, py0] = [Number(plot['x']), Number(plot['y'])];
        const [px1, py1] = [px0 + Number(plot['width']), py0 + Number(plot['height'])];
        const legendRect = walk(root).find((e) => e.attrs['class'] === 'legend')!.children[0]!.attrs;
        const legend = { x: Number(legendRect['x']), y: Number(legendRect['y']), w: Number(legendRect['width']), h: Number(legendRect['height']) };
        const texts = walk(root).filter((e) => e.attrs['class'] === 'marker').map((g) => g.children.find((c) => c.name === 'text')!);
        const boxes = texts.map((t) => box(t, Number(t.attrs['data-width'])));
        boxes.forEach((b, i) => {
          // the width used is the label's estimated width
          expect(b.w).toBeCloseTo(texts[i]!.text!.length * CHAR_WIDTH, 1);
          expect(b.x).toBeGreaterThanOrEqual(px0);
          expect(b.x + b.w).toBeLessThanOrEqual(px1);
          expect(b.y).toBeGreaterThanOrEqual(py0);
          expect(b.y + b.h).toBeLessThanOrEqual(py1);
          // clear of the legend and of the other labels (≤ 3 legend rows and 4 labels fit in this plot)
          expect(hit(b, legend)).toBe(false);
          for (let j = 0; j < i; j++) expect(hit(b, boxes[j]!)).toBe(false);
        });
      }), { numRuns: 80 });
  });

  it('long curves draw thinned point markers but keep every point on the line', () => {
    const x = Array.from({ length: 1000 }, (_, i) => i), y = x.map((v) => Math.sin(v / 50));
    const root = checkSvg(chart({ xLabel: 'x', yLabel: 'y', series: [{ label: 'long', x, y }, { label: 'short', x: x.slice(0, 30), y: y.slice(0, 30) }, { label: 'cloud', x, y, kind: 'scatter' }] }));
    const [long, short, cloud] = series(root);
    const circles = (e: typeof long) => walk(e!).filter((c) => c.name === 'circle').length;
    expect(circles(long)).toBeLessThanOrEqual(60);
    expect(circles(long)).toBeGreaterThanOrEqual(40);
    expect(walk(long!).find((c) => c.name === 'path')!.attrs['d']!.match(/[ML]/g)!.length).toBe(1000);
    expect(circles(short)).toBe(30);
    expect(circles(cloud)).toBe(1000); // a scatter's points are the data: never thinned
    expect(long!.attrs['data-points']).toBe('1000');
  });

  it('a y shorter than x: the points without a y are skipped like non-finite ones', () => {
    const root = checkSvg(chart({ xLabel: 'x', yLabel: 'y', series: [{ label: 'short y', x: [1, 2, 3, 4], y: [1, NaN, 3] }] }));
    expect(series(root)[0]!.attrs['data-points']).toBe('2');
  });

  it('empty series and constant data still give a valid chart', () => {
    checkSvg(chart({ xLabel: 'x', yLabel: 'y', series: [] }));
    checkSvg(chart({ xLabel: 'x', yLabel: 'y', series: [{ label: 'c', x: [5, 5], y: [2, 2] }], yLog: true, xLog: true }));
  });
});

describe('ticks', () => {
  it('linear ticks are evenly spaced 1-2-5 steps inside the range', () => {
    fc.assert(
      fc.property(fc.double({ min: -1e5, max: 1e5, noNaN: true }), fc.double({ min: 1e-3, max: 1e5, noNaN: true }), (lo, w) => {
        const t = linearTicks(lo, lo + w);
        expect(t.length).toBeGreaterThanOrEqual(2);
        const step = t[1]! - t[0]!;
        const mant = step / Math.pow(10, Math.floor(Math.log10(step) + 1e-9));
        expect([1, 2, 5, 10].some((m) => Math.abs(mant - m) < 1e-6)).toBe(true);
        for (const v of t) {
          expect(v).toBeGreaterThanOrEqual(lo - step * 1e-6);
          expect(v).toBeLessThanOrEqual(lo + w + step * 1e-6);
        }
      }),
    );
  });
  it('log ticks are decades for wide ranges', () => {
    expect(logTicks(0.003, 20)).toEqual([0.01, 0.1, 1, 10]);
    expect(logTicks(0.02, 0.3)).toEqual([0.02, 0.05, 0.1, 0.2]);
    // Narrower than two 1-2-5 ticks: linear nice ticks inside the range instead of the endpoints.
    const narrow = logTicks(0.00442, 0.00915);
    expect(narrow.length).toBeGreaterThanOrEqual(4);
    for (const v of narrow) expect(v >= 0.00442 && v <= 0.00915).toBe(true);
  });
  it('escapes the five XML characters', () => {
    expect(escapeXml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;');
  });
});
