import Foundation
import LikenessCore
import Synchronization

/// A process the tests start (the likeness executable, curl, openssl), waited for through its
/// termination handler and never through `Process.waitUntilExit()`: on Linux that spins the
/// calling thread's run loop until Foundation reports the exit there, and called from the
/// cooperative pool, thousands of times over a test run, it can wait forever for a child long
/// gone. A CI run hung 80 minutes that way. Every child also has a watchdog: past its time
/// limit it is SIGKILLed, so a hung child fails its test rather than the whole run.
public final class ChildProcess: @unchecked Sendable {
    public enum Output {
        case discard
        /// Standard output and standard error together, read by the caller.
        case pipe(Pipe)
        /// Standard output alone; standard error discarded.
        case standardOutput(Pipe)
        case file(FileHandle)
    }

    public let process: Process
    private let exited = DispatchSemaphore(value: 0)
    private let state = ExitState()

    /// Shared with the termination handler and the watchdog, which must not hold the process.
    private final class ExitState: Sendable {
        let flags = Mutex((done: false, killedByWatchdog: false))
        func withLock<T>(_ body: (inout (done: Bool, killedByWatchdog: Bool)) -> T) -> T { flags.withLock { body(&$0) } }
    }

    /// Starts `executable`. `limit` is the most it may run before the watchdog kills it.
    public init(_ executable: String, _ arguments: [String], environment: [String: String] = [:], output: Output = .discard,
                limit: Duration = .seconds(600)) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        switch output {
        case .discard:
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
        case .pipe(let pipe):
            process.standardOutput = pipe
            process.standardError = pipe
        case .standardOutput(let pipe):
            process.standardOutput = pipe
            process.standardError = FileHandle.nullDevice
        case .file(let handle):
            process.standardOutput = handle
            process.standardError = handle
        }
        self.process = process
        // Set before run(): a child that exits at once must not be missed.
        process.terminationHandler = { [exited, state] _ in
            state.withLock { $0.done = true }
            exited.signal()
        }
        try process.run()
        let pid = process.processIdentifier
        DispatchQueue.global().asyncAfter(deadline: .now() + limit.inSeconds) { [state] in
            let kill = state.withLock { s -> Bool in
                guard !s.done else { return false }
                s.killedByWatchdog = true
                return true
            }
            if kill { Foundation.kill(pid, SIGKILL) }
        }
    }

    public var pid: pid_t { process.processIdentifier }
    public var isRunning: Bool { !state.withLock { $0.done } }
    /// Whether the watchdog had to kill it.
    public var timedOut: Bool { state.withLock { $0.killedByWatchdog } }
    public var status: Int32 { process.terminationStatus }
    /// Ended by a signal (a crash, or a kill).
    public var signalled: Bool { process.terminationReason == .uncaughtSignal }
    /// Exited by itself with status 0.
    public var exitedCleanly: Bool { process.terminationReason == .exit && process.terminationStatus == 0 }

    /// Waits until it has exited, for at most `limit`; answers whether it had.
    @discardableResult
    public func wait(upTo limit: Duration = .seconds(660)) -> Bool {
        guard exited.wait(timeout: .now() + limit.inSeconds) == .success else { return false }
        exited.signal()  // for the next caller
        return true
    }

    /// SIGKILL, then wait for it.
    public func kill() {
        if isRunning { Foundation.kill(pid, SIGKILL) }
        wait()
    }

    /// SIGTERM, then up to `grace` for it to exit, then SIGKILL. Answers whether it stopped by
    /// itself within the grace.
    @discardableResult
    public func stop(grace: Duration = .seconds(30)) -> Bool {
        guard isRunning else { return wait() }
        process.terminate()
        if wait(upTo: grace) { return true }
        kill()
        return false
    }

    /// Runs to the end (killed past `limit`): its status and what it printed on either stream.
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                           limit: Duration = .seconds(600)) throws -> (child: ChildProcess, output: String) {
        let pipe = Pipe()
        let child = try ChildProcess(executable, arguments, environment: environment, output: .pipe(pipe), limit: limit)
        // Ends when the child exits or the watchdog kills it.
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        child.wait()
        return (child, String(decoding: data, as: UTF8.self))
    }
}
