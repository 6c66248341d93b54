// The OCI runtime-spec config.json, as TypeScript types: the subset podman, containerd and CRI-O send on Linux
// (opencontainers/runtime-spec config.md, config-linux.md; specs-go/config.go). Raw input: every field optional,
// nothing validated yet. src/oci/parse-bundle.ts turns it into an OciContainer.

export interface OciConfig {
  ociVersion?: string;
  root?: { path?: string; readonly?: boolean };
  mounts?: OciConfigMount[];
  process?: OciConfigProcess;
  hostname?: string;
  domainname?: string;
  hooks?: OciConfigHooks;
  annotations?: Record<string, string>;
  linux?: OciConfigLinux;
}

export interface OciConfigMount {
  destination?: string;
  type?: string;
  source?: string;
  options?: string[];
  uidMappings?: OciConfigIdMapping[];
  gidMappings?: OciConfigIdMapping[];
}

export interface OciConfigProcess {
  terminal?: boolean;
  consoleSize?: { height?: number; width?: number };
  user?: { uid?: number; gid?: number; umask?: number; additionalGids?: number[]; username?: string };
  args?: string[];
  commandLine?: string;
  env?: string[];
  cwd?: string;
  capabilities?: { bounding?: string[]; effective?: string[]; inheritable?: string[]; permitted?: string[]; ambient?: string[] };
  rlimits?: { type?: string; soft?: number; hard?: number }[];
  noNewPrivileges?: boolean;
  apparmorProfile?: string;
  oomScoreAdj?: number;
  selinuxLabel?: string;
  scheduler?: unknown;
  ioPriority?: unknown;
  execCPUAffinity?: unknown;
}

export interface OciConfigHook {
  path?: string;
  args?: string[];
  env?: string[];
  timeout?: number;
}

export interface OciConfigHooks {
  prestart?: OciConfigHook[];
  createRuntime?: OciConfigHook[];
  createContainer?: OciConfigHook[];
  startContainer?: OciConfigHook[];
  poststart?: OciConfigHook[];
  poststop?: OciConfigHook[];
}

export interface OciConfigIdMapping {
  containerID?: number;
  hostID?: number;
  size?: number;
}

export interface OciConfigDeviceRule {
  allow?: boolean;
  type?: string;
  major?: number | null;
  minor?: number | null;
  access?: string;
}

export interface OciConfigResources {
  devices?: OciConfigDeviceRule[];
  memory?: { limit?: number; reservation?: number; swap?: number; kernel?: number; kernelTCP?: number; swappiness?: number; disableOOMKiller?: boolean; useHierarchy?: boolean; checkBeforeUpdate?: boolean };
  cpu?: { shares?: number; quota?: number; burst?: number; period?: number; realtimeRuntime?: number; realtimePeriod?: number; cpus?: string; mems?: string; idle?: number };
  pids?: { limit?: number };
  blockIO?: unknown;
  hugepageLimits?: unknown[];
  network?: unknown;
  rdma?: unknown;
  unified?: Record<string, string>;
}

export interface OciConfigDevice {
  type?: string;
  path?: string;
  major?: number;
  minor?: number;
  fileMode?: number;
  uid?: number;
  gid?: number;
}

export interface OciConfigSeccomp {
  defaultAction?: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  flags?: string[];
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls?: { names?: string[]; action?: string; errnoRet?: number; args?: { index?: number; value?: number; valueTwo?: number; op?: string }[] }[];
}

export interface OciConfigLinux {
  namespaces?: { type?: string; path?: string }[];
  uidMappings?: OciConfigIdMapping[];
  gidMappings?: OciConfigIdMapping[];
  timeOffsets?: unknown;
  devices?: OciConfigDevice[];
  cgroupsPath?: string;
  resources?: OciConfigResources;
  rootfsPropagation?: string;
  seccomp?: OciConfigSeccomp;
  sysctl?: Record<string, string>;
  maskedPaths?: string[];
  readonlyPaths?: string[];
  mountLabel?: string;
  intelRdt?: unknown;
  personality?: unknown;
}
