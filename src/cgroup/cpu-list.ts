// CPU lists in the kernel's syntax ("0-3,6"): parse, print canonically, and read the host's online CPUs.

import { readFileSync } from 'node:fs';
import { cpus as osCpus } from 'node:os';

/** The CPU numbers of a list such as "0-2,4", sorted and unique; undefined when the syntax is wrong. */
export function parseCpuList(text: string): number[] | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  const cpus = new Set<number>();
  for (const part of trimmed.split(',')) {
    const match = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(part.trim());
    if (!match) return undefined;
    const first = Number(match[1]);
    const last = match[2] === undefined ? first : Number(match[2]);
    if (last < first) return undefined;
    for (let cpu = first; cpu <= last; cpu++) cpus.add(cpu);
  }
  return [...cpus].sort((a, b) => a - b);
}

/** The canonical kernel form of a CPU set: [0,1,2,4] -> "0-2,4". */
export function formatCpuList(cpus: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < cpus.length; i++) {
    const first = cpus[i]!;
    while (i + 1 < cpus.length && cpus[i + 1] === cpus[i]! + 1) i++;
    parts.push(first === cpus[i] ? `${first}` : `${first}-${cpus[i]}`);
  }
  return parts.join(',');
}

/** The host's online CPUs (/sys/devices/system/cpu/online), falling back to 0..n-1 from os.cpus(). */
export function readOnlineCpus(file = '/sys/devices/system/cpu/online'): number[] {
  try {
    const cpus = parseCpuList(readFileSync(file, 'utf8'));
    if (cpus && cpus.length > 0) return cpus;
  } catch {
    // not Linux sysfs: fall through
  }
  return Array.from({ length: Math.max(1, osCpus().length) }, (_v, i) => i);
}
