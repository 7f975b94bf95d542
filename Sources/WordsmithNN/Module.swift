import WordsmithEngine

/// Gives a stored property of a module the checkpoint key PyTorch uses, where the Swift
/// name differs: `@Key("self_attn") var selfAttention: MultiHeadAttention`.
/// The empty key `""` inlines a sub-module's parameters into its parent (PyTorch's
/// Transformer layers hold `linear1`/`linear2` directly, we group them as `FeedForward`).
///
/// Assign such properties in `init` after `super.init()`.
@propertyWrapper
public struct Key<Value> {
    private var value: Value?
    public let key: String

    public init(_ key: String) {
        self.key = key
    }

    public var wrappedValue: Value {
        get {
            guard let value else { preconditionFailure("@Key(\"\(key)\") property read before init assigned it") }
            return value
        }
        set { value = newValue }
    }
}

protocol KeyedProperty {
    var key: String { get }
    var anyValue: Any? { get }
}

extension Key: KeyedProperty {
    var anyValue: Any? { value }
}

/// Errors from loading parameters into a module.
public enum StateDictError: Error, CustomStringConvertible, Equatable {
    case missing([String])
    case unexpected([String])
    case shapeMismatch(String, expected: [Int], found: [Int])

    public var description: String {
        switch self {
        case .missing(let k): return "checkpoint is missing parameters: \(k.joined(separator: ", "))"
        case .unexpected(let k): return "checkpoint has parameters this model does not: \(k.joined(separator: ", "))"
        case .shapeMismatch(let k, let e, let f): return "parameter '\(k)' has shape \(f) in the checkpoint but \(e) in the model (different model sizes?)"
        }
    }
}

/// A neural-network building block that owns parameters (`Tensor` stored properties) and
/// sub-modules (`Module`, `[Module]` or optional stored properties).
///
/// Parameter names are derived from that structure, as PyTorch's `state_dict` keys are:
/// a model's `encoder.layers.0.self_attn.in_proj_weight` is the property path with each
/// segment's `@Key`. Checkpoints, optimizers and gradient clipping all walk this one tree.
open class Module {
    /// Training mode (dropout active) or evaluation mode; set for a whole tree by
    /// `train()` / `eval()`.
    public private(set) var training = true

    public init() {}

    /// Parameters that are not stored properties (e.g. per-layer RNN weights named
    /// `weight_ih_l0`); override to list them with their keys.
    open var customParameters: [(String, Tensor)] { [] }

    /// Direct children: (key, sub-module) and (key, parameter), in declaration order.
    public final func children() -> (modules: [(String, Module)], parameters: [(String, Tensor)]) {
        var modules: [(String, Module)] = []
        var params: [(String, Tensor)] = []
        var mirrors: [Mirror] = []
        var m: Mirror? = Mirror(reflecting: self)
        while let current = m { mirrors.append(current); m = current.superclassMirror }
        for mirror in mirrors.reversed() {
            for child in mirror.children {
                guard var label = child.label, !label.hasPrefix("$") else { continue }
                var value = child.value
                if let keyed = value as? KeyedProperty {
                    guard let wrapped = keyed.anyValue else { continue }
                    label = keyed.key
                    value = wrapped
                }
                Module.collect(label, value, &modules, &params)
            }
        }
        params += customParameters
        return (modules, params)
    }

    private static func collect(_ key: String, _ value: Any,
                                _ modules: inout [(String, Module)], _ params: inout [(String, Tensor)]) {
        switch value {
        case let t as Tensor: params.append((key, t))
        case let mod as Module: modules.append((key, mod))
        case let list as [Module]:
            for (i, mod) in list.enumerated() { modules.append((key.isEmpty ? "\(i)" : "\(key).\(i)", mod)) }
        default:
            let mirror = Mirror(reflecting: value)
            if mirror.displayStyle == .optional, let wrapped = mirror.children.first?.value {
                collect(key, wrapped, &modules, &params)
            }
        }
    }

    /// Every parameter with its full key, including each appearance of a shared (tied)
    /// tensor, as PyTorch's `state_dict()` lists it.
    public final func stateDict() -> [(String, Tensor)] {
        var result: [(String, Tensor)] = []
        func walk(_ module: Module, _ prefix: String) {
            let (mods, params) = module.children()
            for (k, t) in params { result.append((Module.join(prefix, k), t)) }
            for (k, m) in mods { walk(m, Module.join(prefix, k)) }
        }
        walk(self, "")
        return result
    }

    /// Each distinct parameter once, under the first key it appears with (a tied weight
    /// counts once, for optimizers and gradient norms).
    public final func namedParameters() -> [(String, Tensor)] {
        var seen = Set<ObjectIdentifier>()
        return stateDict().filter { seen.insert(ObjectIdentifier($0.1)).inserted }
    }

    public final func parameters() -> [Tensor] { namedParameters().map(\.1) }

    public final var parameterCount: Int { parameters().reduce(0) { $0 + $1.count } }

    /// Copies values into the parameters. With `strict`, every key must match exactly.
    public final func loadStateDict(_ values: [String: Tensor], strict: Bool = true) throws {
        let own = stateDict()
        let ownKeys = Set(own.map(\.0))
        if strict {
            let missing = own.map(\.0).filter { values[$0] == nil }
            if !missing.isEmpty { throw StateDictError.missing(missing) }
            let unexpected = values.keys.filter { !ownKeys.contains($0) }.sorted()
            if !unexpected.isEmpty { throw StateDictError.unexpected(unexpected) }
        }
        for (k, t) in own {
            guard let v = values[k] else { continue }
            guard v.shape == t.shape else { throw StateDictError.shapeMismatch(k, expected: t.shape, found: v.shape) }
        }
        for (k, t) in own { if let v = values[k] { t.assign(v) } }
    }

    /// Sets training mode on this module and all below it.
    public final func train(_ on: Bool = true) {
        training = on
        for (_, m) in children().modules { m.train(on) }
    }

    /// Evaluation mode: dropout off.
    public final func eval() { train(false) }

    /// Clears every parameter's gradient.
    public final func zeroGrad() { for p in parameters() { p.zeroGrad() } }

    static func join(_ prefix: String, _ key: String) -> String {
        if prefix.isEmpty { return key }
        if key.isEmpty { return prefix }
        return prefix + "." + key
    }
}

extension Module {
    /// The parameters as a safetensors file (PyTorch `state_dict` names).
    public func safetensors(metadata: [String: String] = [:]) -> SafeTensors {
        var file = SafeTensors(metadata: metadata)
        for (k, t) in stateDict() { file.set(k, t) }
        return file
    }

    /// Loads parameters from a safetensors file; every key must match.
    public func load(_ file: SafeTensors, strict: Bool = true) throws {
        var values: [String: Tensor] = [:]
        for name in file.names { values[name] = try file.tensor(name) }
        try loadStateDict(values, strict: strict)
    }
}
