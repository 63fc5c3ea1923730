import { cpuCell, cpuTotal, type CpuPerDelivery } from './cpu-usage';

export interface Row {
  measure: string;
  platform: string;
  naive: string;
  ratio: string;
  /** Peak RSS during the measure: the platform's notifier(s) and, where it ran, the naive one. */
  rss: string;
  /** 1-minute load average when the measure ended. */
  load: string;
  /** CPU time per delivery, where the measure counted it. */
  cpu?: { platform: CpuPerDelivery; naive?: CpuPerDelivery | undefined };
  /** How late the bench's event loop ran during each pipeline's turns (LoopDelay), where shown. */
  loopDelay?: { platform: string; naive: string };
}

export interface Report {
  title: string;
  meta: [string, string][];
  rows: Row[];
  processes: { name: string; peakMb: number; note: string }[];
  notes: string[];
}

export function formatNumber(value: number, digits = 0): string {
  return value.toLocaleString('en-US', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

export function toMarkdown(report: Report): string {
  const table = (header: string[], rows: string[][]) =>
    [
      `| ${header.join(' | ')} |`,
      `|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`,
      ...rows.map((row) => `| ${row.join(' | ')} |`),
    ].join('\n');
  const delays = report.rows.flatMap(({ measure, loopDelay }) =>
    loopDelay === undefined ? [] : [[measure, loopDelay.platform, loopDelay.naive]],
  );
  return [
    `# ${report.title}`,
    '',
    ...report.meta.map(([key, value]) => `- ${key}: ${value}`),
    '',
    table(
      ['measure', 'notify-platform', 'naive pipeline', 'ratio', 'peak RSS (MB)', 'load 1m'],
      report.rows.map((row) => [
        row.measure,
        row.platform,
        row.naive,
        row.ratio,
        row.rss,
        row.load,
      ]),
    ),
    '',
    table(
      ['CPU time per delivery (ms)', 'notify-platform', 'naive pipeline', 'naive / platform'],
      report.rows.flatMap(({ measure, cpu }) =>
        cpu === undefined
          ? []
          : [
              [
                measure,
                cpuCell(cpu.platform),
                cpu.naive === undefined ? '' : cpuCell(cpu.naive),
                cpu.naive === undefined
                  ? ''
                  : `${(cpuTotal(cpu.naive) / cpuTotal(cpu.platform)).toFixed(2)}x`,
              ],
            ],
      ),
    ),
    '',
    ...(delays.length === 0
      ? []
      : [
          table(
            [
              "the bench's event loop late by (ms)",
              "notify-platform's turns",
              "naive pipeline's turns",
            ],
            delays,
          ),
          '',
        ]),
    table(
      ['process', 'peak RSS (VmHWM, MB)', ''],
      report.processes.map((p) => [p.name, formatNumber(p.peakMb, 0), p.note]),
    ),
    '',
    ...report.notes.map((note) => `- ${note}`),
    '',
  ].join('\n');
}
