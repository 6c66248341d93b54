// Turns a /proc/<pid>/status capability mask (CapEff) into capability names, as capsh --decode does.

/** Capability number -> name, from linux/capability.h (0 = cap_chown ... 40 = cap_checkpoint_restore). */
export const CAP_NAMES: readonly string[] = [
  'cap_chown', 'cap_dac_override', 'cap_dac_read_search', 'cap_fowner', 'cap_fsetid', 'cap_kill', 'cap_setgid',
  'cap_setuid', 'cap_setpcap', 'cap_linux_immutable', 'cap_net_bind_service', 'cap_net_broadcast', 'cap_net_admin',
  'cap_net_raw', 'cap_ipc_lock', 'cap_ipc_owner', 'cap_sys_module', 'cap_sys_rawio', 'cap_sys_chroot',
  'cap_sys_ptrace', 'cap_sys_pacct', 'cap_sys_admin', 'cap_sys_boot', 'cap_sys_nice', 'cap_sys_resource',
  'cap_sys_time', 'cap_sys_tty_config', 'cap_mknod', 'cap_lease', 'cap_audit_write', 'cap_audit_control',
  'cap_setfcap', 'cap_mac_override', 'cap_mac_admin', 'cap_syslog', 'cap_wake_alarm', 'cap_block_suspend',
  'cap_audit_read', 'cap_perfmon', 'cap_bpf', 'cap_checkpoint_restore',
];

/** Name of capability number `bit` ("cap_42" for one newer than this table). */
export function nameCapability(bit: number): string {
  return CAP_NAMES[bit] ?? `cap_${bit}`;
}

/** The names of the capabilities set in a hex mask such as "000001ffffffffff"; throws on a non-hex mask. */
export function decodeCapabilities(mask: string): string[] {
  if (!/^[0-9a-fA-F]{1,16}$/.test(mask)) throw new Error(`not a capability mask: ${JSON.stringify(mask)}`);
  const value = BigInt(`0x${mask}`);
  const names: string[] = [];
  for (let bit = 0; bit < 64; bit++) {
    if ((value >> BigInt(bit)) & 1n) names.push(nameCapability(bit));
  }
  return names;
}

/**
 * A short reading of a capability set, given the kernel's last capability (/proc/sys/kernel/cap_last_cap):
 * "none", "all 41", "all except cap_sys_module", or the list of names.
 */
export function summarizeCapabilities(names: readonly string[], lastCap: number): string {
  const all = Array.from({ length: lastCap + 1 }, (_, bit) => nameCapability(bit));
  if (names.length === 0) return 'none';
  const missing = all.filter((name) => !names.includes(name));
  if (missing.length === 0) return `all ${all.length}`;
  if (missing.length < names.length) return `all except ${missing.join(', ')}`;
  return names.join(', ');
}
