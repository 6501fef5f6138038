/** Writes a run's files into its output directory. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderChartPage } from './chart-html.js';
import { toCsv, type SampleRow } from './csv.js';
import type { LoadBenchSummary } from './summary.js';

/** Paths of the files one run writes. */
export interface OutputFiles {
  samplesCsv: string;
  summaryJson: string;
  chartHtml: string;
}

/** Names of the files in the output directory. */
export function outputFiles(dir: string): OutputFiles {
  return { samplesCsv: join(dir, 'samples.csv'), summaryJson: join(dir, 'summary.json'), chartHtml: join(dir, 'chart.html') };
}

/** Writes `samples.csv`, `summary.json` and `chart.html` into `dir` (created if missing). */
export async function writeOutputs(dir: string, rows: readonly SampleRow[], summary: LoadBenchSummary): Promise<OutputFiles> {
  const files = outputFiles(dir);
  await mkdir(dir, { recursive: true });
  await writeFile(files.samplesCsv, toCsv(rows));
  await writeFile(files.summaryJson, `${JSON.stringify(summary, null, 2)}\n`);
  await writeFile(files.chartHtml, renderChartPage(rows, summary));
  return files;
}
