// nsbox's default seccomp profile for image boxes: the coverage of Docker's default (moby/profiles seccomp/default.json),
// as data in the same format, plus a refusal of the two terminal-injection ioctls. An allow-list: anything not named
// fails with EPERM. What a capability guards (mount, bpf, ptrace, reboot, ...) is allowed only with that capability,
// so --cap-add SYS_ADMIN and the others give the calls back, as in Docker (CAP_SYS_ADMIN also gives pivot_root, which
// Docker never allows: a box that may mount may as well enter what it mounted, e.g. to run a nested runtime).

import type { SeccompArg, SeccompProfile, SeccompRule } from './profile.js';
import { ENOSYS, EPERM } from './compile.js';

const words = (text: string): string[] => text.trim().split(/\s+/);

/** Calls every box may make, by topic (names of every architecture: a name the table lacks is skipped). */
const ALWAYS = {
  files: `access chdir chmod chown chown32 close close_range copy_file_range creat faccessat faccessat2 fadvise64
    fadvise64_64 fallocate fanotify_mark fchdir fchmod fchmodat fchmodat2 fchown fchown32 fchownat fcntl fcntl64 fdatasync
    flock fstat fstat64 fstatat64 fstatfs fstatfs64 fsync ftruncate ftruncate64 futimesat getcwd getdents getdents64
    lchown lchown32 link linkat _llseek lseek lstat lstat64 mkdir mkdirat mknod mknodat name_to_handle_at newfstatat
    open openat openat2 readahead readlink readlinkat rename renameat renameat2 rmdir stat stat64 statfs statfs64 statx
    symlink symlinkat sync sync_file_range syncfs truncate truncate64 umask unlink unlinkat utime utimensat
    utimensat_time64 utimes cachestat listmount statmount`,
  xattrs: `fgetxattr flistxattr fremovexattr fsetxattr getxattr getxattrat lgetxattr listxattr listxattrat llistxattr
    lremovexattr lsetxattr removexattr removexattrat setxattr setxattrat`,
  io: `dup dup2 dup3 epoll_create epoll_create1 epoll_ctl epoll_ctl_old epoll_pwait epoll_pwait2 epoll_wait
    epoll_wait_old eventfd eventfd2 inotify_add_watch inotify_init inotify_init1 inotify_rm_watch io_cancel io_destroy
    io_getevents io_pgetevents io_pgetevents_time64 io_setup io_submit ioctl ioprio_get ioprio_set _newselect pipe pipe2
    poll ppoll ppoll_time64 pread64 preadv preadv2 pselect6 pselect6_time64 pwrite64 pwritev pwritev2 read readv select
    sendfile sendfile64 splice tee vmsplice write writev`,
  memory: `brk madvise map_shadow_stack membarrier memfd_create memfd_secret mincore mlock mlock2 mlockall mmap mmap2
    mprotect mremap mseal msync munlock munlockall munmap pkey_alloc pkey_free pkey_mprotect remap_file_pages`,
  processes: `execve execveat exit exit_group fork futex futex_requeue futex_time64 futex_wait futex_waitv futex_wake
    get_robust_list get_thread_area getcpu getrandom getpgid getpgrp getpid getppid getpriority getrlimit getrusage getsid gettid
    pidfd_open pidfd_send_signal prctl prlimit64 process_mrelease restart_syscall rseq set_robust_list set_thread_area
    set_tid_address setpgid setpriority setrlimit setsid ugetrlimit vfork wait4 waitid waitpid seccomp uname sysinfo
    landlock_add_rule landlock_create_ruleset landlock_restrict_self capget capset uretprobe riscv_hwprobe`,
  credentials: `getegid getegid32 geteuid geteuid32 getgid getgid32 getgroups getgroups32 getresgid getresgid32 getresuid
    getresuid32 getuid getuid32 setfsgid setfsgid32 setfsuid setfsuid32 setgid setgid32 setgroups setgroups32 setregid
    setregid32 setresgid setresgid32 setresuid setresuid32 setreuid setreuid32 setuid setuid32`,
  signals: `alarm kill pause rt_sigaction rt_sigpending rt_sigprocmask rt_sigqueueinfo rt_sigreturn rt_sigsuspend
    rt_sigtimedwait rt_sigtimedwait_time64 rt_tgsigqueueinfo sigaltstack signalfd signalfd4 sigprocmask sigreturn tgkill
    tkill`,
  time: `adjtimex clock_adjtime clock_adjtime64 clock_getres clock_getres_time64 clock_gettime clock_gettime64
    clock_nanosleep clock_nanosleep_time64 getitimer gettimeofday nanosleep setitimer time timer_create timer_delete
    timer_getoverrun timer_gettime timer_gettime64 timer_settime timer_settime64 timerfd_create timerfd_gettime
    timerfd_gettime64 timerfd_settime timerfd_settime64 times`,
  scheduling: `sched_get_priority_max sched_get_priority_min sched_getaffinity sched_getattr sched_getparam
    sched_getscheduler sched_rr_get_interval sched_rr_get_interval_time64 sched_setaffinity sched_setattr sched_setparam
    sched_setscheduler sched_yield`,
  network: `accept accept4 bind connect getpeername getsockname getsockopt listen recv recvfrom recvmmsg recvmmsg_time64
    recvmsg send sendmmsg sendmsg sendto setsockopt shutdown socketcall socketpair`,
  ipc: `ipc mq_getsetattr mq_notify mq_open mq_timedreceive mq_timedreceive_time64 mq_timedsend mq_timedsend_time64
    mq_unlink msgctl msgget msgrcv msgsnd semctl semget semop semtimedop semtimedop_time64 shmat shmctl shmdt shmget`,
};

/** Calls a capability guards: allowed only when the box holds it (Docker's includes.caps). */
const WITH_CAPABILITY: readonly (readonly [string, string])[] = [
  ['CAP_DAC_READ_SEARCH', 'open_by_handle_at'],
  ['CAP_SYS_ADMIN', `bpf clone clone3 fanotify_init fsconfig fsmount fsopen fspick lookup_dcookie lsm_get_self_attr
    lsm_list_modules lsm_set_self_attr mount mount_setattr move_mount open_tree perf_event_open pivot_root quotactl quotactl_fd
    setdomainname sethostname setns syslog umount umount2 unshare`],
  ['CAP_SYS_BOOT', 'reboot'],
  ['CAP_SYS_CHROOT', 'chroot'],
  ['CAP_SYS_MODULE', 'delete_module init_module finit_module'],
  ['CAP_SYS_PACCT', 'acct'],
  ['CAP_SYS_PTRACE', 'kcmp pidfd_getfd process_madvise process_vm_readv process_vm_writev ptrace'],
  ['CAP_SYS_RAWIO', 'iopl ioperm'],
  ['CAP_SYS_TIME', 'settimeofday stime clock_settime clock_settime64'],
  ['CAP_SYS_TTY_CONFIG', 'vhangup'],
  ['CAP_SYS_NICE', 'get_mempolicy mbind set_mempolicy set_mempolicy_home_node'],
  ['CAP_SYSLOG', 'syslog'],
  ['CAP_BPF', 'bpf'],
  ['CAP_PERFMON', 'perf_event_open'],
];

/** The namespaces a clone may not create without CAP_SYS_ADMIN (so no nested user namespace either). */
export const CLONE_NAMESPACE_FLAGS =
  0x00020000 /* NEWNS */ | 0x04000000 /* NEWUTS */ | 0x08000000 /* NEWIPC */ | 0x10000000 /* NEWUSER */ |
  0x20000000 /* NEWPID */ | 0x40000000 /* NEWNET */ | 0x02000000; /* NEWCGROUP */

/** ioctl(2) requests that push input into a terminal: a box on the caller's tty could type into the caller's shell. */
export const TIOCSTI = 0x5412;
export const TIOCLINUX = 0x541c;

const arg = (index: number, op: SeccompArg['op'], value: number, valueTwo = 0): SeccompArg => ({ index, op, value: BigInt(value), valueTwo: BigInt(valueTwo) });
const AF_ALG = 38;
const AF_VSOCK = 40;

const rules: SeccompRule[] = [
  { names: Object.values(ALWAYS).flatMap(words), action: 'SCMP_ACT_ALLOW', args: [] },
  { names: ['process_vm_readv', 'process_vm_writev', 'ptrace'], action: 'SCMP_ACT_ALLOW', args: [], includes: { minKernel: [4, 8] }, comment: 'ptrace no longer bypasses seccomp from 4.8 on' },
  // socket(2): every address family but AF_ALG (kernel crypto) and AF_VSOCK (the hypervisor's sockets).
  { names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [arg(0, 'SCMP_CMP_LT', AF_ALG)] },
  { names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [arg(0, 'SCMP_CMP_EQ', AF_ALG + 1)] },
  { names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [arg(0, 'SCMP_CMP_GT', AF_VSOCK)] },
  // personality(2): only the harmless personas (Linux, its 32-bit and UNAME26 variants, and the query 0xffffffff).
  ...[0x0, 0x8, 0x20000, 0x20008, 0xffffffff].map((p): SeccompRule => ({ names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [arg(0, 'SCMP_CMP_EQ', p)] })),
  { names: ['sync_file_range2', 'swapcontext'], action: 'SCMP_ACT_ALLOW', args: [], includes: { arches: ['ppc64le'] } },
  { names: ['arm_fadvise64_64', 'arm_sync_file_range', 'sync_file_range2', 'breakpoint', 'cacheflush', 'set_tls'], action: 'SCMP_ACT_ALLOW', args: [], includes: { arches: ['arm', 'arm64'] } },
  { names: ['arch_prctl'], action: 'SCMP_ACT_ALLOW', args: [], includes: { arches: ['amd64', 'x32'] } },
  { names: ['modify_ldt'], action: 'SCMP_ACT_ALLOW', args: [], includes: { arches: ['amd64', 'x32', 'x86'] } },
  { names: ['s390_pci_mmio_read', 's390_pci_mmio_write', 's390_runtime_instr'], action: 'SCMP_ACT_ALLOW', args: [], includes: { arches: ['s390', 's390x'] } },
  { names: ['riscv_flush_icache'], action: 'SCMP_ACT_ALLOW', args: [], includes: { arches: ['riscv64'] } },
  ...WITH_CAPABILITY.map(([cap, names]): SeccompRule => ({ names: words(names), action: 'SCMP_ACT_ALLOW', args: [], includes: { caps: [cap] } })),
  // Without CAP_SYS_ADMIN: clone(2) only when it creates no namespace (s390 swaps clone's first two arguments).
  { names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [arg(0, 'SCMP_CMP_MASKED_EQ', CLONE_NAMESPACE_FLAGS, 0)], excludes: { caps: ['CAP_SYS_ADMIN'], arches: ['s390', 's390x'] } },
  { names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [arg(1, 'SCMP_CMP_MASKED_EQ', CLONE_NAMESPACE_FLAGS, 0)], includes: { arches: ['s390', 's390x'] }, excludes: { caps: ['CAP_SYS_ADMIN'] } },
  // clone3(2) passes its flags in memory, out of a filter's reach: ENOSYS makes libc fall back to clone(2).
  { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS, args: [], excludes: { caps: ['CAP_SYS_ADMIN'] } },
  // nsbox's addition: TIOCSTI and TIOCLINUX refused whatever the capabilities. The kernel reads the request as a
  // 32-bit int, so only the low word is compared (a request with high bits set is the same request).
  { names: ['ioctl'], action: 'SCMP_ACT_ERRNO', errnoRet: EPERM, args: [arg(1, 'SCMP_CMP_MASKED_EQ', 0xffffffff, TIOCSTI)], comment: 'TIOCSTI: fake terminal input' },
  { names: ['ioctl'], action: 'SCMP_ACT_ERRNO', errnoRet: EPERM, args: [arg(1, 'SCMP_CMP_MASKED_EQ', 0xffffffff, TIOCLINUX)], comment: 'TIOCLINUX: console selection paste' },
];

/** The default profile (Docker's format): EPERM for every call not allowed; x86_64 with i386, aarch64 with arm. */
/**
 * sha256 of DEFAULT_PROFILE as JSON: the program cache's key for it (src/seccomp/program-file.ts), so a run does not
 * hash the whole profile. The seccomp unit test fails, printing the new value, when the profile changes without it.
 */
export const DEFAULT_PROFILE_DIGEST = '37214da27895d49d7fad58108b247e8d807ef59845629ec3e0d40ee105a87d44';

export const DEFAULT_PROFILE: SeccompProfile = {
  defaultAction: 'SCMP_ACT_ERRNO',
  defaultErrnoRet: EPERM,
  archMap: [
    { architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] },
    { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: ['SCMP_ARCH_ARM'] },
  ],
  syscalls: rules,
};
