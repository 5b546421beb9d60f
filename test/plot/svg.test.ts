import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { chart, escapeXml, grid, linearTicks, logTicks } from '../../src/plot/index.js';
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
