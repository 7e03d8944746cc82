import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Names the calling thread as `top -H`, `perf` and `/proc/PID/task/*/comm`
/// show it (at most 15 bytes; Linux keeps no more). Written to
/// /proc/thread-self/comm: `pthread_setname_np` is a GNU extension Swift's
/// Glibc module leaves out.
public func nameThisThread(_ name: String) {
    #if canImport(Glibc)
        let descriptor = open("/proc/thread-self/comm", O_WRONLY)
        guard descriptor >= 0 else { return }
        let bytes = Array(name.utf8.prefix(15))
        _ = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        close(descriptor)
    #endif
}

/// This process's user and system CPU time so far, in seconds.
public func processCPUSeconds() -> Double {
    var usage = rusage()
    guard getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage) == 0 else { return 0 }
    let seconds = { (time: timeval) in Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
}
