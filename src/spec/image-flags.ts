// Flags that only boxes with their own root filesystem take (`run IMAGE`, `run --rootfs DIR`).
// (Filled in by the image runtime: volumes, tmpfs, --read-only, --rm, capabilities, --rootfs, --root.)
import type { Options } from 'yargs';

export const IMAGE_OPTIONS: Readonly<Record<string, Options>> = {};
