// docker run's --pull and --platform: nsbox runs only the images in its store, built for this host. The values that
// mean exactly that are accepted (a copied `docker run --pull never --platform linux/amd64 ...` just runs); the others
// are refused on one line rather than ignored.

import { arch } from 'node:process';
import { flagError } from '../errors.js';

/** Docker's name for Node's architecture (GOARCH). */
const DOCKER_ARCH: Readonly<Record<string, string>> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

/** This host's platform as docker spells it: "linux/amd64". */
export function hostPlatform(): string {
  return `linux/${DOCKER_ARCH[arch] ?? arch}`;
}

/** Refuses --pull always and a --platform other than the host's. */
export function checkPullFlags(pull: unknown, platform: unknown): void {
  if (pull !== undefined && pull !== 'missing' && pull !== 'never') {
    throw flagError('--pull', pull, pull === 'always' ? 'nsbox has no registry client (nsbox load brings images in)' : 'expected missing or never (always: nsbox has no registry client)');
  }
  if (platform !== undefined) {
    const wanted = String(platform).toLowerCase().replace(/\/v\d+$/, '');
    const host = hostPlatform();
    // "amd64" alone, as docker also takes it
    if (wanted !== host && `linux/${wanted}` !== host) throw flagError('--platform', platform, `nsbox runs images for this host only (${host})`);
  }
}
