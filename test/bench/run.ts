// `npm run bench`: runs every test/bench/*.bench.ts and prints each figure beside the baseline measured in the
// same run. Machines here are noisy, so the figures that matter are ratios and medians.
import { readdirSync } from 'node:fs';

export interface BenchRow {
  /** What was measured, e.g. "join → first remote frame, p50". */
  name: string;
  /** Our figure, with its unit. */
  value: string;
  /** The baseline's figure from the same run, with its unit (or "—"). */
  baseline: string;
  /** value / baseline, or another comparison, e.g. "1.12×". */
  ratio: string;
  /** The target, e.g. "≤ 1.3×". */
  target: string;
}

export type Bench = () => Promise<BenchRow[]>;

const only = process.argv.slice(2);
const dir = new URL('.', import.meta.url);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();

const rows: BenchRow[] = [];
for (const file of files) {
  const mod = (await import(new URL(file, dir).href)) as { default: Bench };
  console.log(`# ${file}`);
  const got = await mod.default();
  for (const r of got)
    console.log(`  ${r.name}: ${r.value} (baseline ${r.baseline}; ${r.ratio}; target ${r.target})`);
  rows.push(...got);
}

const cols = ['name', 'value', 'baseline', 'ratio', 'target'] as const;
const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => r[c].length)));
const line = (cells: string[]) => cells.map((c, i) => c.padEnd(width[i] ?? 0)).join(' | ');
console.log('\n' + line([...cols]));
console.log(width.map((w) => '-'.repeat(w)).join('-|-'));
for (const r of rows) console.log(line(cols.map((c) => r[c])));
process.exit(0);
