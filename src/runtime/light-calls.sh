# nsbox-runtime's light calls in sh: start, state, kill (one signal to the init) and delete, which podman, conmon,
# containerd and CRI-O make once or more per container. Each costs a Node start (~50 ms) in src/runtime/; here it
# costs a few ms, as runc's do. The build copies this file to dist/bundle/runtime-light.sh.
#
# bin/nsbox-runtime sources it and calls nsbox_light with its command line. nsbox_light exits when it has made the
# call, and returns to the shim, which then runs Node with the same command line, whenever the call is not the
# plain case: a container without light.env (one with hooks in these phases), anything Node would answer with an
# error, a flag or signal this file does not know. So errors, their wording and the --log lines come from one place
# (src/runtime/main.ts), and this file only ever does what Node would do (an integration test compares the two).
#
# <root>/<id>/light.env is written by create (src/runtime/light-env.ts): the init's identity (pid, start time, boot
# id), its cgroup files, and the state JSON around its status and pid.

nsbox_light() {
  nsbox_root=/run/nsbox-runtime
  while :; do
    case $1 in
      --root) [ $# -ge 2 ] || return 1; nsbox_root=$2; shift 2 ;;
      --root=*) nsbox_root=${1#--root=}; shift ;;
      --log) [ $# -ge 2 ] || return 1; shift 2 ;;
      --log=*) shift ;;
      --log-format) case $2 in text|json) shift 2 ;; *) return 1 ;; esac ;;
      --log-format=text|--log-format=json|--debug|--systemd-cgroup) shift ;;
      *) break ;;
    esac
  done
  nsbox_command=$1
  [ $# -ge 1 ] && shift
  nsbox_force=
  nsbox_signal=TERM
  case $nsbox_command in
    state|start) [ $# -eq 1 ] || return 1 ;;
    kill) case $# in 1) ;; 2) nsbox_signal=$2 ;; *) return 1 ;; esac ;;
    delete) case $1 in --force|-f) nsbox_force=1; shift ;; esac; [ $# -eq 1 ] || return 1 ;;
    *) return 1 ;;
  esac
  nsbox_id=$1
  # runc's rule for ids (state.ts checkId); a leading "-" is a flag to Node's parser.
  case $nsbox_id in ''|.|..|-*|*[!A-Za-z0-9_+.-]*) return 1 ;; esac
  nsbox_dir=$nsbox_root/$nsbox_id
  if [ ! -e "$nsbox_dir/state.json" ]; then
    # delete --force of a container that is gone succeeds (containerd calls delete twice).
    [ "$nsbox_command" = delete ] && [ -n "$nsbox_force" ] && exit 0
    return 1
  fi
  [ -f "$nsbox_dir/light.env" ] || return 1
  . "$nsbox_dir/light.env"
  # The real path create recorded is this container's directory, whatever --root spelled it as.
  case $light_dir in /*/"$nsbox_id") ;; *) return 1 ;; esac
  nsbox_status || return 1
  case $nsbox_command in
    state)
      nsbox_pid=$light_pid
      [ "$nsbox_state" = stopped ] && nsbox_pid=0
      printf '%s%s%s%s%s' "$light_json_head" "$nsbox_state" "$light_json_mid" "$nsbox_pid" "$light_json_tail"
      exit 0 ;;
    start)
      [ "$nsbox_state" = created ] || return 1
      # The init holds the gate open read-write and reads one line from it; opened read-write here as well, the
      # gate never blocks this call, even if the init were to die now (Node opens it with O_NONBLOCK instead).
      { printf 'start\n' 1<>"$nsbox_dir/exec.fifo"; } 2>/dev/null || return 1
      # Its absence is what "created" ends with (statusOf).
      rm -f -- "$nsbox_dir/exec.fifo" || return 1
      exit 0 ;;
    kill)
      [ "$nsbox_state" = stopped ] && return 1
      case $nsbox_signal in SIG*) nsbox_signal=${nsbox_signal#SIG} ;; esac
      # Numbers 1-31 and the names dash knows, upper case; the rest (real-time signals, lower case) goes to Node.
      case $nsbox_signal in
        [1-9]|[12][0-9]|3[01]) ;;
        HUP|INT|QUIT|ILL|TRAP|ABRT|BUS|FPE|KILL|USR1|SEGV|USR2|PIPE|ALRM|TERM|CHLD|CONT|STOP|TSTP|TTIN|TTOU|URG|XCPU|XFSZ|VTALRM|PROF|WINCH|IO|PWR|SYS) ;;
        *) return 1 ;;
      esac
      kill -s "$nsbox_signal" "$light_pid" 2>/dev/null || return 1
      exit 0 ;;
    delete)
      [ "$nsbox_state" = stopped ] || [ -n "$nsbox_force" ] || return 1
      # A frozen container is thawed first (Node does that); a mount below the state dir is detached first (Node).
      [ "$nsbox_state" = paused ] && return 1
      while read -r _ _ _ _ nsbox_mount _; do
        case $nsbox_mount in "$light_dir"/*) return 1 ;; esac
      done </proc/self/mountinfo
      # Cgroups the container made below its own (a writable cgroup mount): Node kills and removes those too.
      for nsbox_file in $light_procs; do
        for nsbox_child in "${nsbox_file%/cgroup.procs}"/*/; do [ -d "$nsbox_child" ] && return 1; done
      done
      nsbox_kill_everything || return 1
      nsbox_remove_cgroups || return 1
      rm -rf -- "$light_dir" || return 1
      exit 0 ;;
  esac
  return 1
}

# nsbox_state: stopped once the init (pid + start time + boot id) is gone or a zombie; created while the gate
# exists; paused when frozen; else running (state.ts statusOf). Fails when /proc/PID/stat is not one plain line.
nsbox_status() {
  nsbox_state=stopped
  { read -r nsbox_boot </proc/sys/kernel/random/boot_id; } 2>/dev/null || return 1
  [ "$nsbox_boot" = "$light_boot_id" ] || return 0
  { read -r nsbox_stat <"/proc/$light_pid/stat"; } 2>/dev/null || return 0
  # The fields after the ")" that ends the command name (which the process chooses, spaces and newlines included:
  # a line cut short by one is left to Node, which reads the whole file).
  set -- ${nsbox_stat##*) }
  [ $# -ge 40 ] || return 1
  [ "${20}" = "$light_start_time" ] || return 0
  case $1 in Z|X) return 0 ;; esac
  if [ -e "$nsbox_dir/exec.fifo" ]; then
    nsbox_state=created
  elif nsbox_frozen; then
    nsbox_state=paused
  else
    nsbox_state=running
  fi
}

# freezer.state (v1) is FREEZING or FROZEN, cgroup.freeze (v2) is 1 (state.ts isFrozen).
nsbox_frozen() {
  [ -n "$light_freezer" ] || return 1
  { read -r nsbox_freezer_state <"$light_freezer"; } 2>/dev/null || return 1
  if [ "$light_cgroup_version" = 2 ]; then [ "$nsbox_freezer_state" = 1 ]; else [ "$nsbox_freezer_state" != THAWED ]; fi
}

# SIGKILL every process of the container's cgroups (and the init, if alive), until they are empty (remove.ts
# killEverything). Gives up after ~1 s; Node then waits its 10 s and says why.
nsbox_kill_everything() {
  nsbox_init=
  [ "$nsbox_state" != stopped ] && nsbox_init=$light_pid
  nsbox_round=0
  while :; do
    nsbox_pids=$nsbox_init
    for nsbox_file in $light_procs; do
      while read -r nsbox_p; do nsbox_pids="$nsbox_pids $nsbox_p"; done 2>/dev/null <"$nsbox_file"
    done
    [ -n "$nsbox_pids" ] && kill -9 $nsbox_pids 2>/dev/null
    nsbox_init=
    nsbox_left=
    for nsbox_file in $light_procs; do
      { read -r nsbox_p <"$nsbox_file" && nsbox_left=1; } 2>/dev/null
    done
    [ -z "$nsbox_left" ] && return 0
    nsbox_round=$((nsbox_round + 1))
    [ $nsbox_round -lt 120 ] || return 1
    # Exiting tasks leave within a ms or so: spin first, then sleep.
    [ $nsbox_round -lt 20 ] || sleep 0.01
  done
}

# rmdir the cgroup directories create made, deepest first, in one rmdir; again while one without child cgroups is
# busy with exiting tasks (remove.ts removeCgroupDirs). One with child cgroups is another container's parent: it
# stays, as runc leaves it.
nsbox_remove_cgroups() {
  nsbox_rest=$light_created
  nsbox_round=0
  while :; do
    nsbox_now=
    for nsbox_d in $nsbox_rest; do [ -d "$nsbox_d" ] && nsbox_now="$nsbox_now $nsbox_d"; done
    [ -n "$nsbox_now" ] || return 0
    rmdir -- $nsbox_now 2>/dev/null && return 0
    nsbox_rest=
    for nsbox_d in $nsbox_now; do
      [ -d "$nsbox_d" ] || continue
      for nsbox_child in "$nsbox_d"/*/; do [ -d "$nsbox_child" ] && continue 2; done
      nsbox_rest="$nsbox_rest $nsbox_d"
    done
    [ -n "$nsbox_rest" ] || return 0
    nsbox_round=$((nsbox_round + 1))
    [ $nsbox_round -lt 100 ] || return 1
    sleep 0.01
  done
}
