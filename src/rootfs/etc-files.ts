// The files nsbox generates for the box's /etc: hostname, hosts, resolv.conf (bind-mounted from containers/<id>/).

/** /etc/hostname: the box's hostname. */
export function renderHostnameFile(hostname: string): string {
  return `${hostname}\n`;
}

/** /etc/hosts as Docker writes it for a box without a network: localhost only. */
export function renderHostsFile(): string {
  return [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'ff00::0\tip6-mcastprefix',
    'ff02::1\tip6-allnodes',
    'ff02::2\tip6-allrouters',
    '',
  ].join('\n');
}

/**
 * /etc/resolv.conf from the host's, without loopback nameservers (the box's loopback is its own); Docker's
 * public fallback when none is left.
 */
export function renderResolvConf(hostText: string): string {
  const lines = hostText.split('\n').filter((line) => line.trim() !== '' && !/^\s*nameserver\s+(127\.|::1\b|0\.0\.0\.0)/.test(line));
  if (!lines.some((line) => /^\s*nameserver\s/.test(line))) lines.push('nameserver 8.8.8.8', 'nameserver 8.8.4.4');
  return `${lines.join('\n')}\n`;
}
