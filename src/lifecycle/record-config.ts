// The `config` of a box record: the flags and image settings that inspect shows as Docker's Config and HostConfig.

import type { BoxDescription } from '../spec/box-description.js';
import type { ImageBoxDescription } from '../spec/image-box-description.js';
import type { ImageConfig } from '../image/records.js';
import type { RecordedConfig } from '../state/record.js';
import { parseCapabilityName } from '../rootfs/capabilities.js';

/** A host-root box: its hostname, user, limits and argv; no image, no volumes. */
export function describeBoxConfig(spec: BoxDescription): RecordedConfig {
  const runAs = spec.process.runAs;
  return {
    hostname: spec.hostname,
    user: runAs ? `${runAs.uid}:${runAs.gid}` : undefined,
    entrypoint: undefined,
    cmd: [...spec.process.argv],
    resources: spec.cgroup,
    volumes: [],
    privileged: false,
    capAdd: [],
    capDrop: [],
    readOnlyRootfs: false,
    securityOpt: [],
  };
}

/** An image box: the image's Entrypoint and Cmd (or the command given), -v/--tmpfs, capabilities, --read-only. */
export function describeImageBoxConfig(spec: ImageBoxDescription, image: ImageConfig, command: readonly string[], args: Readonly<Record<string, unknown>>): RecordedConfig {
  // --entrypoint replaces the image's (and drops its Cmd): the description holds the one in force.
  const entrypoint = spec.entrypoint.length > 0 ? [...spec.entrypoint] : undefined;
  const entrypointFlag = args.entrypoint !== undefined;
  const caps = (flag: string) => list(args[flag]).map((v) => parseCapabilityName(`--${flag}`, v));
  return {
    ...describeBoxConfig(spec.box),
    user: spec.user,
    entrypoint,
    cmd: command.length > 0 || entrypointFlag ? [...command] : [...(image.Cmd ?? [])],
    volumes: spec.mounts.map((m) =>
      m.kind === 'volume' ? { kind: 'bind', source: m.host, target: `/${m.target.join('/')}`, readOnly: m.readOnly } : { kind: 'tmpfs', target: `/${m.target.join('/')}`, options: m.options },
    ),
    privileged: spec.privileged,
    capAdd: caps('cap-add'),
    capDrop: caps('cap-drop'),
    readOnlyRootfs: spec.readOnly,
    securityOpt: spec.privileged ? [] : ['no-new-privileges'],
  };
}

function list(value: unknown): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}
