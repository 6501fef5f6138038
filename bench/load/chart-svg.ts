/** Inline SVG line charts, no JavaScript and no dependencies. Pure. */

/** One line. A null value leaves a gap. */
export interface ChartSeries {
  name: string;
  color: string;
  values: readonly (number | null)[];
  dashed?: boolean;
  /** Hold each value until the next sample (counts such as replicas) instead of interpolating. @default false */
  step?: boolean;
}

/** A vertical marker line, e.g. "load end". */
export interface ChartMarker {
  x: number;
  label: string;
}

/** What {@link renderLineChart} draws: `series[i].values[j]` is plotted at `x[j]`. */
export interface LineChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  x: readonly number[];
  series: readonly ChartSeries[];
  markers?: readonly ChartMarker[];
  /** Only whole-number y ticks (replica counts). @default false */
  integerY?: boolean;
  /** @default 880 px */
  width?: number;
  /** @default 300 px */
  height?: number;
}

/** Escapes text for SVG/HTML content and attributes. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** About `count` round tick values (1, 2, 5 × 10^k steps) covering min..max; the last tick is ≥ max. */
export function niceTicks(min: number, max: number, count = 5, integer = false): number[] {
  if (!(max > min)) max = min + 1;
  const raw = (max - min) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  let step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  if (integer) step = Math.max(1, Math.ceil(step));
  const ticks: number[] = [];
  for (let v = Math.floor(min / step) * step; v < max + step * 0.999; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

/** Short tick label: 1500000 → "1.5M". */
export function formatTick(v: number): string {
  const abs = Math.abs(v);
  for (const [div, suffix] of [
    [1e12, 'T'],
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ] as const) {
    if (abs >= div) return `${Number((v / div).toPrecision(3))}${suffix}`;
  }
  return String(Number(v.toPrecision(3)));
}

const f = (n: number): string => n.toFixed(1);

/** Renders one chart as an `<svg>` element string with title, axes, tick labels, legend and markers. */
export function renderLineChart(spec: LineChartSpec): string {
  const width = spec.width ?? 880;
  const height = spec.height ?? 300;
  const m = { left: 70, right: 20, top: 52, bottom: 46 };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const ys = spec.series.flatMap((s) => s.values.filter((v): v is number => v !== null && Number.isFinite(v)));
  const xs = spec.x.filter(Number.isFinite);
  const xTicks = niceTicks(Math.min(0, ...xs), Math.max(1, ...xs), 8);
  // 2 % headroom so a line at the maximum is not drawn on the frame.
  const yTicks = niceTicks(Math.min(0, ...ys), Math.max(spec.integerY ? 1 : 0, ...ys) * 1.02, 5, spec.integerY);
  const [x0, x1] = [xTicks[0], xTicks[xTicks.length - 1]];
  const [y0, y1] = [yTicks[0], yTicks[yTicks.length - 1]];
  const px = (x: number): number => m.left + ((x - x0) / (x1 - x0)) * plotW;
  const py = (y: number): number => m.top + plotH - ((y - y0) / (y1 - y0)) * plotH;

  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(spec.title)}" font-family="sans-serif" font-size="12">`,
    `<title>${escapeXml(spec.title)}</title>`,
    `<text x="${m.left}" y="18" font-size="15" font-weight="bold">${escapeXml(spec.title)}</text>`,
  ];
  for (const t of yTicks) {
    out.push(
      `<line x1="${m.left}" x2="${m.left + plotW}" y1="${f(py(t))}" y2="${f(py(t))}" stroke="#e3e3e3"/>`,
      `<text x="${m.left - 6}" y="${f(py(t) + 4)}" text-anchor="end">${formatTick(t)}</text>`,
    );
  }
  for (const t of xTicks) {
    out.push(
      `<line x1="${f(px(t))}" x2="${f(px(t))}" y1="${m.top + plotH}" y2="${m.top + plotH + 4}" stroke="#333"/>`,
      `<text x="${f(px(t))}" y="${m.top + plotH + 17}" text-anchor="middle">${formatTick(t)}</text>`,
    );
  }
  out.push(
    `<rect x="${m.left}" y="${m.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333"/>`,
    `<text x="${m.left + plotW / 2}" y="${height - 8}" text-anchor="middle">${escapeXml(spec.xLabel)}</text>`,
    `<text transform="translate(16 ${m.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escapeXml(spec.yLabel)}</text>`,
  );
  for (const mk of spec.markers ?? []) {
    if (mk.x < x0 || mk.x > x1) continue;
    out.push(
      `<line x1="${f(px(mk.x))}" x2="${f(px(mk.x))}" y1="${m.top}" y2="${m.top + plotH}" stroke="#888" stroke-dasharray="2 3"/>`,
      `<text x="${f(px(mk.x) + 3)}" y="${m.top + 11}" fill="#666" font-size="11">${escapeXml(mk.label)}</text>`,
    );
  }
  let legendX = m.left;
  spec.series.forEach((s, i) => {
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    // Earlier series are drawn wider, underneath, so a series that coincides with a later one stays visible.
    const widthPx = 2 + (spec.series.length - 1 - i);
    out.push(
      `<line x1="${legendX}" x2="${legendX + 22}" y1="36" y2="36" stroke="${escapeXml(s.color)}" stroke-width="${widthPx}"${dash}/>`,
      `<text x="${legendX + 27}" y="40">${escapeXml(s.name)}</text>`,
    );
    legendX += 40 + s.name.length * 7;
    out.push(...seriesPaths(s, spec.x, px, py, `${dash} stroke-width="${widthPx}"`));
  });
  if (ys.length === 0) out.push(`<text x="${m.left + plotW / 2}" y="${m.top + plotH / 2}" text-anchor="middle" fill="#999">no data</text>`);
  out.push('</svg>');
  return out.join('\n');
}

/** One `<path>` per run of non-null values; a lone point becomes a dot. */
function seriesPaths(s: ChartSeries, x: readonly number[], px: (v: number) => number, py: (v: number) => number, attrs: string): string[] {
  const runs: [number, number][][] = [[]];
  s.values.forEach((v, i) => {
    if (v === null || !Number.isFinite(v) || !Number.isFinite(x[i])) {
      if (runs[runs.length - 1].length > 0) runs.push([]);
    } else runs[runs.length - 1].push([px(x[i]), py(v)]);
  });
  const color = escapeXml(s.color);
  return runs
    .filter((r) => r.length > 0)
    .map((r) =>
      r.length === 1
        ? `<circle cx="${f(r[0][0])}" cy="${f(r[0][1])}" r="2.5" fill="${color}"/>`
        : `<path d="${r.map(([a, b], i) => (i === 0 ? `M${f(a)} ${f(b)}` : `${s.step ? `H${f(a)} V${f(b)}` : `L${f(a)} ${f(b)}`}`)).join(' ')}" fill="none" stroke="${color}"${attrs}/>`,
    );
}
