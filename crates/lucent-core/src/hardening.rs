//! Process hardening: a Lucent process holds PHI in memory (decoded pixels, names, the audit
//! keys), so it must never write a core dump.
//!
//! [`disable_core_dumps`] sets `RLIMIT_CORE` to 0, soft and hard, which every child inherits
//! (the webview's WebKit processes included, since the shell calls it before starting them) and
//! which an unprivileged process cannot raise again; on Linux it also clears the dumpable flag
//! (`PR_SET_DUMPABLE` 0), which stops dumps even when `core_pattern` pipes to a handler such as
//! systemd-coredump (the kernel applies no size limit to piped dumps) and stops other processes
//! of the same user from attaching to read memory. Both the CLI and the viewer call it first thing
//! in `main`. On macOS core dumps are off unless enabled system-wide and Windows error reporting
//! keeps no full dumps by default; neither is changed here (untested on those systems).

/// Turns core dumps off for this process and its children (see the module docs).
pub fn disable_core_dumps() -> Result<(), String> {
    #[cfg(target_os = "linux")]
    {
        use rustix::process::{
            DumpableBehavior, Resource, Rlimit, set_dumpable_behavior, setrlimit,
        };
        setrlimit(
            Resource::Core,
            Rlimit {
                current: Some(0),
                maximum: Some(0),
            },
        )
        .map_err(|e| format!("could not turn core dumps off (RLIMIT_CORE): {e}"))?;
        set_dumpable_behavior(DumpableBehavior::NotDumpable)
            .map_err(|e| format!("could not turn core dumps off (PR_SET_DUMPABLE): {e}"))?;
    }
    Ok(())
}

/// Whether this process can write a core dump (Linux: the dumpable flag and `RLIMIT_CORE`);
/// `None` where it is not known.
pub fn core_dumps_possible() -> Option<bool> {
    #[cfg(target_os = "linux")]
    {
        use rustix::process::{DumpableBehavior, Resource, dumpable_behavior, getrlimit};
        let limit = getrlimit(Resource::Core);
        let dumpable = dumpable_behavior().ok()? != DumpableBehavior::NotDumpable;
        Some(dumpable && limit.current != Some(0))
    }
    #[cfg(not(target_os = "linux"))]
    {
        None
    }
}
