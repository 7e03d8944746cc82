import CSQLite
import Foundation

/// An SQLite VFS that simulates power loss, as LazyFS or dm-log-writes do for a
/// whole file system: every write to a database or WAL file stays in a
/// simulated page cache (shared by the process's connections, as the kernel's
/// is) and reaches the disk only when the file is synced. `crash(after:)` picks
/// the crash point: after that many more writes and syncs, every write, sync,
/// truncation and deletion fails (the machine is off; nothing more reaches the
/// disk). `powerLoss()`, once every connection is closed, drops the page cache:
/// what is on disk is exactly what was synced before the crash point.
///
/// Locks and the WAL index (shared memory, which SQLite rebuilds when the first
/// connection opens after a crash) go to the default `unix` VFS; memory-mapped
/// reads are off (io methods version 2), so every read sees the page cache.
/// Not modelled: a directory entry that was not synced (SQLite syncs the
/// directory when it creates a WAL), and writes torn within a sector.
public enum PowerLossVFS {
    public static let name = "khata-powerloss"

    /// Registers the VFS (once per process); pass `name` as the journal's `vfs`.
    public static func register() {
        lock.withLock {
            guard !registered else { return }
            registered = true
            let unix = sqlite3_vfs_find("unix")!
            unixVFS = unix
            unixFileSize = Int(unix.pointee.szOsFile)
            var vfs = unix.pointee
            vfs.szOsFile = Int32(headerBytes + unixFileSize)
            vfs.zName = UnsafePointer(strdup(name))
            vfs.pNext = nil
            vfs.xOpen = vfsOpen
            vfs.xDelete = vfsDelete
            let pointer = UnsafeMutablePointer<sqlite3_vfs>.allocate(capacity: 1)
            pointer.initialize(to: vfs)
            precondition(sqlite3_vfs_register(pointer, 0) == SQLITE_OK, "cannot register \(name)")
        }
    }

    /// The crash comes after `operations` more writes and syncs (nil: no crash).
    public static func crash(after operations: Int?) {
        lock.withLock {
            countdown = operations
            crashed = operations == 0
        }
    }

    /// Whether the crash point has passed.
    public static var hasCrashed: Bool { lock.withLock { crashed } }

    /// Power comes back: what was never synced is gone. Call with every
    /// connection through this VFS closed.
    public static func powerLoss() {
        lock.withLock {
            caches.removeAll()
            crashed = false
            countdown = nil
            generation += 1
        }
    }

    // Extended result codes (C macros Swift does not import): SQLITE_IOERR | (n << 8).
    private static let SQLITE_IOERR_SHORT_READ = SQLITE_IOERR | (2 << 8)
    private static let SQLITE_IOERR_WRITE = SQLITE_IOERR | (3 << 8)
    private static let SQLITE_IOERR_FSYNC = SQLITE_IOERR | (4 << 8)
    private static let SQLITE_IOERR_TRUNCATE = SQLITE_IOERR | (6 << 8)
    private static let SQLITE_IOERR_DELETE = SQLITE_IOERR | (10 << 8)

    // MARK: State (one lock: SQLite calls from several threads)

    private static let lock = NSLock()
    nonisolated(unsafe) private static var registered = false
    nonisolated(unsafe) private static var unixVFS: UnsafeMutablePointer<sqlite3_vfs>!
    nonisolated(unsafe) private static var unixFileSize = 0
    nonisolated(unsafe) private static var caches: [String: PageCache] = [:]
    nonisolated(unsafe) private static var countdown: Int?
    nonisolated(unsafe) private static var crashed = false
    /// Power losses so far: a file opened before the last one belongs to a
    /// process that no longer exists, and every write or sync through it fails
    /// (a connection left open across a simulated loss would otherwise write its
    /// stale page cache over the recovered files).
    nonisolated(unsafe) private static var generation = 0

    /// Our part of an open file: the io methods pointer, then the handle, then
    /// the `unix` VFS's own file.
    private static let headerBytes = 16

    /// A file's contents as the process sees them, and which parts are not on disk yet.
    final class PageCache {
        var bytes: [UInt8]
        var dirty: [Range<Int>] = []
        var shrank = false
        init(bytes: [UInt8]) { self.bytes = bytes }
    }

    final class Handle {
        let real: UnsafeMutablePointer<sqlite3_file>
        let cache: PageCache?
        let generation: Int
        init(real: UnsafeMutablePointer<sqlite3_file>, cache: PageCache?, generation: Int) {
            self.real = real
            self.cache = cache
            self.generation = generation
        }
        var methods: sqlite3_io_methods { real.pointee.pMethods.pointee }
    }

    /// Counts one write or sync toward the crash point; false once it has passed
    /// (or for a file opened before the last power loss).
    private static func proceed(_ handle: Handle) -> Bool {
        if crashed || handle.generation != generation { return false }
        if let left = countdown {
            if left <= 0 {
                crashed = true
                return false
            }
            countdown = left - 1
        }
        return true
    }

    private static func handle(_ file: UnsafeMutablePointer<sqlite3_file>?) -> Handle {
        let slot = UnsafeMutableRawPointer(file!).load(fromByteOffset: 8, as: UnsafeMutableRawPointer.self)
        return Unmanaged<Handle>.fromOpaque(slot).takeUnretainedValue()
    }

    // MARK: The VFS

    private static let vfsOpen:
        @convention(c) (
            UnsafeMutablePointer<sqlite3_vfs>?, sqlite3_filename?, UnsafeMutablePointer<sqlite3_file>?, Int32, UnsafeMutablePointer<Int32>?
        ) -> Int32 = { _, name, file, flags, outFlags in
            let real = UnsafeMutableRawPointer(file!).advanced(by: headerBytes).assumingMemoryBound(to: sqlite3_file.self)
            file!.pointee.pMethods = nil
            let status = unixVFS.pointee.xOpen(unixVFS, name, real, flags, outFlags)
            guard status == SQLITE_OK else { return status }
            var cache: PageCache?
            if let name, flags & (SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_WAL) != 0 {
                let path = String(cString: name)
                cache = lock.withLock {
                    if let cached = caches[path] { return cached }
                    var size: sqlite3_int64 = 0
                    _ = real.pointee.pMethods.pointee.xFileSize(real, &size)
                    var bytes = [UInt8](repeating: 0, count: Int(size))
                    if size > 0 { _ = bytes.withUnsafeMutableBytes { real.pointee.pMethods.pointee.xRead(real, $0.baseAddress, Int32(size), 0) } }
                    let loaded = PageCache(bytes: bytes)
                    caches[path] = loaded
                    return loaded
                }
            }
            let opened = Unmanaged.passRetained(Handle(real: real, cache: cache, generation: lock.withLock { generation })).toOpaque()
            UnsafeMutableRawPointer(file!).storeBytes(of: opened, toByteOffset: 8, as: UnsafeMutableRawPointer.self)
            file!.pointee.pMethods = UnsafePointer(methods)
            return SQLITE_OK
        }

    private static let vfsDelete: @convention(c) (UnsafeMutablePointer<sqlite3_vfs>?, UnsafePointer<CChar>?, Int32) -> Int32 = {
        _, name, syncDirectory in
        let allowed = lock.withLock {
            guard !crashed else { return false }
            if let name { caches.removeValue(forKey: String(cString: name)) }
            return true
        }
        guard allowed else { return SQLITE_IOERR_DELETE }
        return unixVFS.pointee.xDelete(unixVFS, name, syncDirectory)
    }

    // MARK: The files

    nonisolated(unsafe) private static let methods: UnsafeMutablePointer<sqlite3_io_methods> = {
        var io = sqlite3_io_methods()
        io.iVersion = 2  // no xFetch: every read goes through xRead and the page cache
        io.xClose = { file in
            let handle = handle(file)
            let status = handle.methods.xClose(handle.real)
            Unmanaged.passUnretained(handle).release()
            return status
        }
        io.xRead = { file, buffer, amount, offset in
            let handle = handle(file)
            guard let cache = handle.cache else { return handle.methods.xRead(handle.real, buffer, amount, offset) }
            return lock.withLock {
                let start = Int(offset)
                let end = start + Int(amount)
                let available = max(0, min(end, cache.bytes.count) - start)
                let target = buffer!.assumingMemoryBound(to: UInt8.self)
                if available > 0 { cache.bytes.withUnsafeBufferPointer { target.update(from: $0.baseAddress! + start, count: available) } }
                guard available == Int(amount) else {
                    (target + available).update(repeating: 0, count: Int(amount) - available)
                    return SQLITE_IOERR_SHORT_READ
                }
                return SQLITE_OK
            }
        }
        io.xWrite = { file, buffer, amount, offset in
            let handle = handle(file)
            guard let cache = handle.cache else { return handle.methods.xWrite(handle.real, buffer, amount, offset) }
            return lock.withLock {
                guard proceed(handle) else { return SQLITE_IOERR_WRITE }
                let start = Int(offset)
                let end = start + Int(amount)
                if cache.bytes.count < end { cache.bytes += [UInt8](repeating: 0, count: end - cache.bytes.count) }
                let source = buffer!.assumingMemoryBound(to: UInt8.self)
                cache.bytes.withUnsafeMutableBufferPointer { ($0.baseAddress! + start).update(from: source, count: Int(amount)) }
                cache.dirty.append(start..<end)
                return SQLITE_OK
            }
        }
        io.xTruncate = { file, size in
            let handle = handle(file)
            guard let cache = handle.cache else { return handle.methods.xTruncate(handle.real, size) }
            return lock.withLock {
                guard !crashed && handle.generation == generation else { return SQLITE_IOERR_TRUNCATE }
                if Int(size) < cache.bytes.count {
                    cache.bytes.removeLast(cache.bytes.count - Int(size))
                    cache.shrank = true
                } else {
                    cache.bytes += [UInt8](repeating: 0, count: Int(size) - cache.bytes.count)
                    cache.dirty.append(0..<Int(size))
                }
                return SQLITE_OK
            }
        }
        io.xSync = { file, flags in
            let handle = handle(file)
            guard let cache = handle.cache else { return handle.methods.xSync(handle.real, flags) }
            return lock.withLock {
                guard proceed(handle) else { return SQLITE_IOERR_FSYNC }
                // What the page cache holds reaches the disk now.
                if cache.shrank { _ = handle.methods.xTruncate(handle.real, sqlite3_int64(cache.bytes.count)) }
                for range in cache.dirty {
                    let end = min(range.upperBound, cache.bytes.count)
                    guard range.lowerBound < end else { continue }
                    let status = cache.bytes.withUnsafeBytes {
                        handle.methods.xWrite(
                            handle.real, $0.baseAddress! + range.lowerBound, Int32(end - range.lowerBound), sqlite3_int64(range.lowerBound))
                    }
                    guard status == SQLITE_OK else { return status }
                }
                cache.dirty.removeAll()
                cache.shrank = false
                return handle.methods.xSync(handle.real, flags)
            }
        }
        io.xFileSize = { file, size in
            let handle = handle(file)
            guard let cache = handle.cache else { return handle.methods.xFileSize(handle.real, size) }
            lock.withLock { size!.pointee = sqlite3_int64(cache.bytes.count) }
            return SQLITE_OK
        }
        io.xLock = { file, level in
            let handle = handle(file); return handle.methods.xLock(handle.real, level)
        }
        io.xUnlock = { file, level in
            let handle = handle(file); return handle.methods.xUnlock(handle.real, level)
        }
        io.xCheckReservedLock = { file, out in
            let handle = handle(file); return handle.methods.xCheckReservedLock(handle.real, out)
        }
        io.xFileControl = { file, operation, argument in
            let handle = handle(file)
            // A size hint would grow the real file beside the page cache; nothing needs it.
            if operation == SQLITE_FCNTL_SIZE_HINT || operation == SQLITE_FCNTL_CHUNK_SIZE { return SQLITE_OK }
            return handle.methods.xFileControl(handle.real, operation, argument)
        }
        io.xSectorSize = { file in
            let handle = handle(file); return handle.methods.xSectorSize(handle.real)
        }
        io.xDeviceCharacteristics = { file in
            let handle = handle(file)
            // Nothing is atomic or safe to append without a sync here.
            return handle.methods.xDeviceCharacteristics(handle.real) & ~Int32(SQLITE_IOCAP_POWERSAFE_OVERWRITE)
        }
        io.xShmMap = { file, region, size, extend, pointer in
            let handle = handle(file)
            return handle.methods.xShmMap(handle.real, region, size, extend, pointer)
        }
        io.xShmLock = { file, offset, count, flags in
            let handle = handle(file)
            return handle.methods.xShmLock(handle.real, offset, count, flags)
        }
        io.xShmBarrier = { file in
            let handle = handle(file); handle.methods.xShmBarrier(handle.real)
        }
        io.xShmUnmap = { file, delete in
            let handle = handle(file); return handle.methods.xShmUnmap(handle.real, delete)
        }
        let pointer = UnsafeMutablePointer<sqlite3_io_methods>.allocate(capacity: 1)
        pointer.initialize(to: io)
        return pointer
    }()
}
