import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The system BLAS, loaded at run time so the package builds and runs without one.
///
/// Search order: `WORDSMITH_BLAS` (a path, or `builtin` to force the Swift GEMM), then
/// OpenBLAS and the reference-BLAS alternative names. On CPUs with AVX-512, OpenBLAS 0.3.21
/// detects Zen 4/5 as a Haswell-class core and picks kernels half as fast, so we set
/// `OPENBLAS_CORETYPE=SKYLAKEX` before loading when it is unset or names a pre-AVX-512 core
/// (Haswell, Zen: what auto-detection would pick anyway). `WORDSMITH_BLAS_CORETYPE=NAME`
/// forces a core type, e.g. `Haswell` to keep the slower kernels.
public struct BLASLibrary: @unchecked Sendable {
    typealias SGEMM = @convention(c) (
        Int32, Int32, Int32, Int32, Int32, Int32, Float,
        UnsafePointer<Float>?, Int32, UnsafePointer<Float>?, Int32, Float,
        UnsafeMutablePointer<Float>?, Int32
    ) -> Void

    let sgemm: SGEMM
    typealias SGEMV = @convention(c) (
        Int32, Int32, Int32, Int32, Float, UnsafePointer<Float>?, Int32,
        UnsafePointer<Float>?, Int32, Float, UnsafeMutablePointer<Float>?, Int32
    ) -> Void
    let sgemv: SGEMV?
    typealias SetThreads = @convention(c) (Int32) -> Void
    let setThreads: SetThreads?
    /// The file that was loaded.
    public let path: String
    /// OpenBLAS's kernel ("SkylakeX", "Haswell", ...) when it reports one.
    public let coreName: String?
    /// OpenBLAS's build configuration string when available.
    public let config: String?
    /// What we set `OPENBLAS_CORETYPE` to, if anything (nil: left as found).
    public let coreTypeChosen: String?

    /// The process-wide BLAS, or nil when none is found (the Swift GEMM is used then).
    public static let shared: BLASLibrary? = load()

    /// Whether the CPU has AVX-512 Foundation instructions (from /proc/cpuinfo on Linux).
    public static var cpuHasAVX512: Bool { cpuHas("avx512f") }

    /// Whether /proc/cpuinfo lists every one of these CPU flags (Linux; elsewhere false).
    public static func cpuHas(_ flags: String...) -> Bool {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return false }
        guard let line = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return false }
        let listed = Set(line.split(separator: " ").map(String.init))
        return flags.allSatisfy(listed.contains)
    }

    static func load() -> BLASLibrary? {
        let env = ProcessInfo.processInfo.environment
        let requested = env["WORDSMITH_BLAS"]
        if requested == "builtin" || requested == "none" { return nil }
        var chosen: String? = nil
        let preAVX512 = ["haswell", "zen", "sandybridge", "nehalem", "core2", "prescott"]
        if let forced = env["WORDSMITH_BLAS_CORETYPE"], !forced.isEmpty {
            setenv("OPENBLAS_CORETYPE", forced, 1)
            chosen = "\(forced) from WORDSMITH_BLAS_CORETYPE"
        } else if cpuHasAVX512 {
            if let found = env["OPENBLAS_CORETYPE"] {
                if preAVX512.contains(found.lowercased()) {
                    setenv("OPENBLAS_CORETYPE", "SKYLAKEX", 1)
                    chosen = "SKYLAKEX chosen for AVX-512, replacing \(found) from the environment; WORDSMITH_BLAS_CORETYPE=\(found) keeps it"
                }
            } else {
                setenv("OPENBLAS_CORETYPE", "SKYLAKEX", 1)
                chosen = "SKYLAKEX chosen for AVX-512"
            }
        }
        let candidates = requested.map { [$0] } ?? [
            "libopenblas.so.0", "libopenblas.so", "libblas.so.3", "libblas.so", "libcblas.so.3",
            "/usr/lib/x86_64-linux-gnu/libopenblas.so.0", "/usr/lib/aarch64-linux-gnu/libopenblas.so.0",
            "/opt/homebrew/opt/openblas/lib/libopenblas.dylib",
            "/System/Library/Frameworks/Accelerate.framework/Accelerate",
        ]
        for name in candidates {
            guard let handle = dlopen(name, RTLD_NOW | RTLD_GLOBAL) else { continue }
            guard let sym = dlsym(handle, "cblas_sgemm") else { continue }
            var core: String? = nil
            if let f = dlsym(handle, "openblas_get_corename") {
                typealias GetString = @convention(c) () -> UnsafePointer<CChar>?
                if let s = unsafeBitCast(f, to: GetString.self)() { core = String(cString: s) }
            }
            var config: String? = nil
            if let f = dlsym(handle, "openblas_get_config") {
                typealias GetString = @convention(c) () -> UnsafePointer<CChar>?
                if let s = unsafeBitCast(f, to: GetString.self)() { config = String(cString: s) }
            }
            let threads = dlsym(handle, "openblas_set_num_threads").map { unsafeBitCast($0, to: SetThreads.self) }
            let gemv = dlsym(handle, "cblas_sgemv").map { unsafeBitCast($0, to: SGEMV.self) }
            return BLASLibrary(sgemm: unsafeBitCast(sym, to: SGEMM.self), sgemv: gemv, setThreads: threads, path: name,
                               coreName: core, config: config, coreTypeChosen: chosen)
        }
        if let requested {
            FileHandle.standardError.write(Data(
                "wordsmith: WORDSMITH_BLAS=\(requested) could not be loaded (no cblas_sgemm); using the built-in GEMM\n".utf8))
        }
        return nil
    }

    /// The matrix-product backend in a few words ("libopenblas.so.0, kernel SkylakeX", or
    /// "built-in GEMM"), for benchmark results.
    public static var backendName: String {
        shared.map { "\($0.path), kernel \($0.coreName ?? "unknown")" } ?? "built-in GEMM"
    }

    /// One line saying which matrix-product backend is in use, for `--verbose`.
    public static var summary: String {
        guard let b = shared else {
            return "GEMM: built-in Swift kernel (no BLAS found; install libopenblas0 or set WORDSMITH_BLAS=/path/libopenblas.so)"
        }
        var s = "GEMM: BLAS \(b.path)"
        if let c = b.coreName { s += ", kernel \(c)" }
        if let t = b.coreTypeChosen { s += " (OPENBLAS_CORETYPE=\(t))" }
        else if let t = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] { s += " (OPENBLAS_CORETYPE=\(t) from the environment)" }
        if let c = b.config { s += " [\(c)]" }
        return s
    }
}
