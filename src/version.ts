// nsbox's version, kept equal to package.json's by a unit test (the bundle cannot read package.json at run time
// without knowing where it was installed).
export const NSBOX_VERSION = '0.1.0';
