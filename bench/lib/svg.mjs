/**
 * Hand-written SVG charts for BENCHMARKS.md (no dependencies, no network): bar panels for
 * the throughput ratios and a line chart of RSS over time during the outage.
 */

const COLORS = ['#1f77b4', '#2ca02c', '#ff7f0e', '#d62728', '#9467bd', '#8c564b'];
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif"';

function esc(text) {
  return String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function niceMax(value) {
  if (!(value > 0)) return 1;
  const exp = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (step * exp >= value) return step * exp;
  return 10 * exp;
}

/**
 * Horizontal bar panel. `rows`: [{ label, value, text, color? }]. `marker`: optional
 * { value, label } drawn as a dashed vertical line (a target).
 */
function barPanel({ x, y, width, title, rows, max, marker }) {
  const labelWidth = 230;
  const barHeight = 18;
  const gap = 6;
  const plotWidth = width - labelWidth - 90;
  const top = y + 28;
  const scaleMax = max ?? niceMax(Math.max(...rows.map((r) => r.value), marker?.value ?? 0));
  const parts = [`<text x="${x}" y="${y + 14}" font-size="14" font-weight="600" ${FONT}>${esc(title)}</text>`];
  rows.forEach((row, i) => {
    const ry = top + i * (barHeight + gap);
    const w = Math.max(1, (Math.max(0, row.value) / scaleMax) * plotWidth);
    parts.push(`<text x="${x + labelWidth - 8}" y="${ry + 13}" font-size="12" text-anchor="end" ${FONT}>${esc(row.label)}</text>`);
    parts.push(`<rect x="${x + labelWidth}" y="${ry}" width="${w.toFixed(1)}" height="${barHeight}" fill="${row.color ?? COLORS[i % COLORS.length]}" rx="2"/>`);
    parts.push(`<text x="${(x + labelWidth + w + 6).toFixed(1)}" y="${ry + 13}" font-size="12" ${FONT}>${esc(row.text)}</text>`);
  });
  const bottom = top + rows.length * (barHeight + gap);
  if (marker !== undefined) {
    const mx = x + labelWidth + (marker.value / scaleMax) * plotWidth;
    parts.push(`<line x1="${mx.toFixed(1)}" y1="${top - 4}" x2="${mx.toFixed(1)}" y2="${bottom}" stroke="#444" stroke-dasharray="4 3"/>`);
    parts.push(`<text x="${mx.toFixed(1)}" y="${bottom + 12}" font-size="11" text-anchor="middle" fill="#444" ${FONT}>${esc(marker.label)}</text>`);
  }
  return { svg: parts.join('\n'), height: bottom - y + (marker ? 18 : 6) };
}

/** Stacks bar panels vertically into one SVG document. */
export function barChart({ title, subtitle, panels, width = 860 }) {
  let y = 56;
  const body = [];
  for (const panel of panels) {
    const { svg, height } = barPanel({ x: 20, y, width: width - 40, ...panel });
    body.push(svg);
    y += height + 22;
  }
  return svgDoc(width, y, title, subtitle, body.join('\n'));
}

function svgDoc(width, height, title, subtitle, body) {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(title)}">
<rect width="100%" height="100%" fill="#fff"/>
<text x="20" y="24" font-size="17" font-weight="700" ${FONT}>${esc(title)}</text>
<text x="20" y="42" font-size="12" fill="#555" ${FONT}>${esc(subtitle)}</text>
${body}
</svg>
`;
}

/**
 * Line chart of several series `[{ label, points: [[x, y], ...] }]` with an optional
 * shaded band (`band: { from, to, label }`) and vertical markers (`[{ x, label }]`).
 */
export function lineChart({ title, subtitle, series, xLabel, yLabel, band, markers = [], width = 860, height = 420 }) {
  const left = 70;
  const right = 230;
  const top = 60;
  const bottom = 50;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const xs = series.flatMap((s) => s.points.map(([px]) => px));
  const ys = series.flatMap((s) => s.points.map(([, py]) => py));
  const xMax = niceMax(Math.max(...xs, band?.to ?? 0));
  const yMax = niceMax(Math.max(...ys));
  const sx = (v) => left + (v / xMax) * plotW;
  const sy = (v) => top + plotH - (v / yMax) * plotH;
  const parts = [];
  if (band) {
    parts.push(`<rect x="${sx(band.from).toFixed(1)}" y="${top}" width="${(sx(band.to) - sx(band.from)).toFixed(1)}" height="${plotH}" fill="#f3d6d6"/>`);
    parts.push(`<text x="${((sx(band.from) + sx(band.to)) / 2).toFixed(1)}" y="${top + 14}" font-size="12" text-anchor="middle" fill="#a33" ${FONT}>${esc(band.label)}</text>`);
  }
  for (let i = 0; i <= 5; i++) {
    const v = (yMax * i) / 5;
    parts.push(`<line x1="${left}" y1="${sy(v).toFixed(1)}" x2="${left + plotW}" y2="${sy(v).toFixed(1)}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${left - 6}" y="${(sy(v) + 4).toFixed(1)}" font-size="11" text-anchor="end" ${FONT}>${Math.round(v)}</text>`);
  }
  for (let i = 0; i <= 10; i++) {
    const v = (xMax * i) / 10;
    parts.push(`<text x="${sx(v).toFixed(1)}" y="${top + plotH + 16}" font-size="11" text-anchor="middle" ${FONT}>${Math.round(v)}</text>`);
  }
  for (const marker of markers) {
    parts.push(`<line x1="${sx(marker.x).toFixed(1)}" y1="${top}" x2="${sx(marker.x).toFixed(1)}" y2="${top + plotH}" stroke="#666" stroke-dasharray="4 3"/>`);
    parts.push(`<text x="${(sx(marker.x) + 4).toFixed(1)}" y="${top + 28}" font-size="11" fill="#444" ${FONT}>${esc(marker.label)}</text>`);
  }
  parts.push(`<rect x="${left}" y="${top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`);
  series.forEach((s, i) => {
    const color = s.color ?? COLORS[i % COLORS.length];
    const d = s.points.map(([px, py], j) => `${j === 0 ? 'M' : 'L'}${sx(px).toFixed(1)},${sy(py).toFixed(1)}`).join(' ');
    parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"/>`);
    const ly = top + 10 + i * 20;
    parts.push(`<line x1="${left + plotW + 14}" y1="${ly}" x2="${left + plotW + 34}" y2="${ly}" stroke="${color}" stroke-width="3"/>`);
    parts.push(`<text x="${left + plotW + 40}" y="${ly + 4}" font-size="12" ${FONT}>${esc(s.label)}</text>`);
  });
  parts.push(`<text x="${left + plotW / 2}" y="${height - 12}" font-size="12" text-anchor="middle" ${FONT}>${esc(xLabel)}</text>`);
  parts.push(`<text x="16" y="${top + plotH / 2}" font-size="12" text-anchor="middle" transform="rotate(-90 16 ${top + plotH / 2})" ${FONT}>${esc(yLabel)}</text>`);
  return svgDoc(width, height, title, subtitle, parts.join('\n'));
}
