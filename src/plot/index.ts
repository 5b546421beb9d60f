export { chart, grid, escapeXml, linearTicks, logTicks, formatTick } from './svg.js';
export type { Series, Marker, ChartOptions } from './svg.js';
export { windowMeans } from './series.js';
