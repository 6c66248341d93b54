// The network flags of `nsbox run`/`sh` and their translation into a NetworkRequest and a prepared NetworkSetup.

import type { Options } from 'yargs';
import type { NamespaceName } from '../host/namespaces.js';
import { buildNetworkRequest, parseExposed, type NetworkRequest } from './request.js';
import { namespacesFor } from './plan-network.js';
import { prepareNetwork } from './prepare-network.js';
import type { NetworkSetup } from './setup.js';

const GROUP = 'Network:';

export const NET_OPTIONS: Readonly<Record<string, Options>> = {
  network: { type: 'string', group: GROUP, describe: 'none (only lo), host (the host\'s), bridge (the default network: nsbox0, or a bridge named after NSBOX_STATE) or a network from `nsbox network create` (also --net=MODE)' },
  publish: { alias: 'p', type: 'string', array: true, group: GROUP, describe: '[[IP:]HOSTPORT:]BOXPORT[/tcp|udp]: reachable on the host\'s addresses, 127.0.0.1 too (with IP: on that address only); no HOSTPORT (80, IP::80): a free one is chosen (nsbox port shows it); ranges A-B too' },
  'publish-all': { alias: 'P', type: 'boolean', group: GROUP, describe: 'publish every exposed port (the image\'s ExposedPorts and --expose) to a free host port each' },
  expose: { type: 'string', array: true, group: GROUP, describe: 'PORT[/tcp|udp] or A-B: a port the box serves, for -P (repeatable)' },
  dns: { type: 'string', array: true, group: GROUP, describe: 'nameserver for the box\'s resolv.conf, repeatable' },
  'add-host': { type: 'string', array: true, group: GROUP, describe: 'NAME:IP line for the box\'s /etc/hosts, repeatable' },
};

type Args = { readonly [flag: string]: unknown };

/**
 * Validate the network flags; adds the namespaces they need (net, mount) to `wanted`. `imageExposed` is the image's
 * ExposedPorts keys, for -P. Pure.
 */
export function networkRequestFromFlags(args: Args, wanted: Set<NamespaceName>, hostname: string | undefined, imageExposed: readonly string[] = []): NetworkRequest | undefined {
  const exposed = [...imageExposed.flatMap((k) => parseExposed('image ExposedPorts', k)), ...list(args.expose).flatMap((e) => parseExposed('--expose', e))];
  const request = buildNetworkRequest({
    net: args.net === true ? true : undefined,
    network: typeof args.network === 'string' ? args.network : undefined,
    publish: list(args.publish),
    publishAll: args['publish-all'] === true,
    exposed,
    dns: list(args.dns),
    addHost: list(args['add-host']),
    names: [hostname, typeof args.name === 'string' ? args.name : undefined].filter((n): n is string => !!n),
  });
  if (request?.mode === 'host') wanted.delete('net');
  // A bare --net (only lo) needs no set-up from outside: the init script brings lo up.
  for (const ns of namespacesFor(request)) wanted.add(ns);
  if (request?.mode === 'none' && request.dns.length === 0 && request.addHosts.length === 0) return undefined;
  return request;
}

/** Resolve the request against the host and take the lease (nothing is written with --dry-run). */
export function prepareBoxNetwork(request: NetworkRequest | undefined, boxId: string, args: Args): { network?: NetworkSetup } {
  if (!request) return {};
  return { network: prepareNetwork(request, boxId, { dryRun: args['dry-run'] === true, ...(typeof args.name === 'string' ? { boxName: args.name } : {}) }) };
}

function list(value: unknown): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}
