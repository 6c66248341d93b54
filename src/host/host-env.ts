// The environment of every host tool nsbox runs itself (mount, ip, nsenter, the cgroup and undo steps): fixed,
// never the caller's nor a box's, so no LD_PRELOAD, PATH or locale from either can steer a tool running as root.

/** The directories host tools are looked up in. */
export const HOST_PATH = '/usr/sbin:/usr/bin:/sbin:/bin';

/** The whole environment a host tool gets. */
export const HOST_ENV: Readonly<Record<string, string>> = Object.freeze({ PATH: HOST_PATH, LC_ALL: 'C' });
