// Probes each system tool nsbox composes: found in PATH or not, its version, and the package to install.

import { TOOL_PACKAGES } from './tools.js';
import type { ProbeResult } from './probe-types.js';

export interface DoctorTool {
  readonly name: string;
  readonly required: boolean;
  /** Arguments that make the tool print its version; undefined when it has no such option. */
  readonly versionArgs: readonly string[] | undefined;
  /** What nsbox uses it for (shown when an optional one is missing). */
  readonly purpose: string;
}

export const DOCTOR_TOOLS: readonly DoctorTool[] = [
  { name: 'unshare', required: true, versionArgs: ['--version'], purpose: 'creates the namespaces' },
  { name: 'nsenter', required: true, versionArgs: ['--version'], purpose: 'enters a running box' },
  { name: 'setpriv', required: true, versionArgs: ['--version'], purpose: 'sets uid, gid, capabilities' },
  { name: 'lsns', required: true, versionArgs: ['--version'], purpose: 'lists namespaces' },
  { name: 'prlimit', required: true, versionArgs: ['--version'], purpose: 'sets resource limits' },
  { name: 'mount', required: true, versionArgs: ['--version'], purpose: 'mounts proc, binds, overlays' },
  { name: 'hostname', required: true, versionArgs: ['--version'], purpose: 'sets the box hostname' },
  { name: 'ip', required: true, versionArgs: ['-V'], purpose: 'configures network namespaces' },
  { name: 'cgcreate', required: false, versionArgs: undefined, purpose: 'cgroups through cgroup-tools (nsbox can write cgroupfs itself)' },
  { name: 'cgset', required: false, versionArgs: undefined, purpose: 'cgroups through cgroup-tools (nsbox can write cgroupfs itself)' },
  { name: 'newuidmap', required: false, versionArgs: undefined, purpose: '--map-auto (ranges from /etc/subuid)' },
  { name: 'newgidmap', required: false, versionArgs: undefined, purpose: '--map-auto (ranges from /etc/subgid)' },
  { name: 'busybox', required: false, versionArgs: ['--help'], purpose: 'a static shell for minimal root filesystems' },
];

/** Finds a tool's absolute path (src/host/tools.ts findTool on the real host). */
export type ToolFinder = (name: string) => string | undefined;
/** Runs a tool with arguments and resolves to what it printed (stdout then stderr), never rejecting. */
export type VersionRunner = (path: string, args: readonly string[]) => Promise<string>;

/** The version in a tool's output: its first line, without "<tool> from " and parenthesised build details. */
export function extractVersion(name: string, output: string): string | undefined {
  const line = output.split('\n').map((l) => l.trim()).find((l) => l !== '');
  if (!line || !/\d/.test(line)) return undefined;
  return line.replace(new RegExp(`^${name} from `), '').replace(/\s*\(.*$/, '').trim() || undefined;
}

/** One result per tool, with versions gathered in parallel. */
export async function probeTools(findTool: ToolFinder, runVersion: VersionRunner, tools = DOCTOR_TOOLS): Promise<ProbeResult[]> {
  return Promise.all(tools.map((tool) => probeTool(tool, findTool, runVersion)));
}

async function probeTool(tool: DoctorTool, findTool: ToolFinder, runVersion: VersionRunner): Promise<ProbeResult> {
  const what = `tool ${tool.name}`;
  const pkg = TOOL_PACKAGES[tool.name];
  const path = findTool(tool.name);
  if (!path) {
    return {
      status: tool.required ? 'fail' : 'warn',
      what,
      detail: tool.required ? 'not found in PATH' : `not found in PATH (optional: ${tool.purpose})`,
      fix: pkg ? `apt-get install ${pkg}` : `install ${tool.name}`,
    };
  }
  if (!tool.versionArgs) return { status: 'ok', what, detail: `${path} (no version option)` };
  const version = extractVersion(tool.name, await runVersion(path, tool.versionArgs));
  return { status: 'ok', what, detail: `${version ?? 'version unknown'} (${path})` };
}
