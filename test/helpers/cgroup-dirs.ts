// Where a test's cgroup parent lives: below the test process's own cgroup, in one hierarchy.

import { findHierarchy, findProcCgroupPath, type CgroupHost } from '../../src/cgroup/detect.js';
import { dirOf } from '../../src/cgroup/layout.js';

/** The directory of cgroup `parent` below this process's own cgroup in the hierarchy holding `controller`. */
export function testCgroupDir(host: CgroupHost, controller: string, parent: string): string {
  const h = findHierarchy(host, controller)!;
  return dirOf({ mount: h.mount, path: `${(findProcCgroupPath(host.self, h) ?? '/').replace(/\/$/, '')}/${parent}` });
}
