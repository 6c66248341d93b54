// The variables bin/nsbox moves aside before starting node, and their return to the environment boxes inherit.

/**
 * Read by node itself at start-up, never needed by nsbox's own process: NODE_EXTRA_CA_CERTS makes every start load
 * a certificate file (~55 ms here; nsbox opens no TLS connection), NODE_OPTIONS can add --require hooks or
 * --inspect to a root process. bin/nsbox passes each one as NSBOX_SAVED_<NAME>; nsbox puts it back at once, so a
 * host-root box (which inherits the caller's environment) and every tool still see it.
 */
export const SAVED_VARIABLES = ['NODE_EXTRA_CA_CERTS', 'NODE_OPTIONS'] as const;

const PREFIX = 'NSBOX_SAVED_';

/** Moves each NSBOX_SAVED_<NAME> of env back to <NAME> (only the names above), in place. */
export function restoreSavedEnv(env: NodeJS.ProcessEnv): void {
  for (const name of SAVED_VARIABLES) {
    const saved = env[`${PREFIX}${name}`];
    if (saved === undefined) continue;
    env[name] = saved;
    delete env[`${PREFIX}${name}`];
  }
}
