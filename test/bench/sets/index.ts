// Every benchmark set, in the order `npm run bench` runs them; add a new set's module here.

import type { BenchSet } from '../types.js';
import { coreSet } from './core.js';
import { cgroupSet } from './cgroup.js';
import { netSet } from './net.js';
import { netThroughputSet } from './net-throughput.js';
import { netImageSet } from './net-image.js';
import { imageSet } from './image.js';
import { lifecycleSet } from './lifecycle.js';
import { seccompSet } from './seccomp.js';
import { startupSet } from './startup.js';
import { startup50Set } from './startup-50.js';
import { ociSet } from './oci.js';

export const ALL_SETS: readonly BenchSet[] = [coreSet, cgroupSet, netSet, netImageSet, netThroughputSet, imageSet, seccompSet, lifecycleSet, startupSet, startup50Set, ociSet];
