// `nsbox info` / `system info` and `system df [-v]`: read-only reports over one store and state dir, as text laid
// out as Docker's, as JSON (--json), or through a Go template (--format, Docker's fields).

import type { Options } from 'yargs';
import { NsboxError } from '../errors.js';
import { resolveStoreRoot } from '../image/store.js';
import { describeState, resolveStateRoot } from '../state/paths.js';

export const REPORT_OPTIONS: Readonly<Record<string, Options>> = {
  format: { alias: 'f', type: 'string', describe: 'a Go template over Docker\'s fields (info: {{.ContainersRunning}} {{.CgroupVersion}}...; df: {{.Type}} {{.TotalCount}} {{.Active}} {{.Size}} {{.Reclaimable}}), or "json"' },
  json: { type: 'boolean', default: false, describe: 'print JSON (sizes in bytes)' },
  root: { type: 'string', describe: 'image store directory (default $NSBOX_ROOT, else /var/lib/nsbox)' },
};

export interface ReportArgs {
  readonly format?: string;
  readonly json?: boolean;
  readonly verbose?: boolean;
  readonly root?: string;
  readonly state?: string;
}

function formatOf(args: ReportArgs): string | undefined {
  if (Array.isArray(args.format)) throw new NsboxError('--format given more than once');
  if (args.format !== undefined && args.json) throw new NsboxError('--format and --json: give one of them');
  return args.format === 'json' ? '{{json .}}' : args.format;
}

/** `nsbox info`; resolves to the exit code. */
export async function runInfo(args: ReportArgs): Promise<number> {
  const format = formatOf(args);
  const [{ gatherSystemInfo, renderSystemInfo }, { readToolVersions }] = await Promise.all([import('../lifecycle/system-info.js'), import('./version.js')]);
  const info = await gatherSystemInfo(resolveStoreRoot(args.root), describeState(resolveStateRoot(args.state)), await readToolVersions());
  if (args.json) process.stdout.write(`${JSON.stringify(info, null, 2)}\n`);
  else if (format !== undefined) process.stdout.write(`${(await import('../format/template.js')).renderTemplate(format, info)}\n`);
  else process.stdout.write(renderSystemInfo(info));
  return 0;
}

/** `nsbox system df [-v]`; resolves to the exit code. */
export async function runDiskUsage(args: ReportArgs): Promise<number> {
  const format = formatOf(args);
  if (format !== undefined && args.verbose) throw new NsboxError('--format and -v: give one of them (--json -v has every item)');
  const [{ measureDiskUsage }, { renderUsageRows, renderUsageDetail, usageJson, USAGE_HEADERS, usageFormatRow }] = await Promise.all([import('../lifecycle/disk-usage.js'), import('../lifecycle/disk-usage-render.js')]);
  const usage = await measureDiskUsage(resolveStoreRoot(args.root), describeState(resolveStateRoot(args.state)));
  if (args.json) process.stdout.write(`${JSON.stringify(usageJson(usage, args.verbose === true), null, 2)}\n`);
  else if (format !== undefined) process.stdout.write((await import('../format/template.js')).formatRows(format, usage.rows.map(usageFormatRow), USAGE_HEADERS));
  else process.stdout.write(args.verbose ? renderUsageDetail(usage) : renderUsageRows(usage.rows));
  return 0;
}
