import Foundation

/// An elementwise function and its derivative, as a type: `unary` is specialized for each one,
/// so its loops inline the arithmetic instead of calling a closure per element (and vectorize
/// where the function allows, as ReLU's max does).
protocol UnaryFunction {
    /// The op's name on the autograd tape.
    static var name: String { get }
    static func value(_ x: Float) -> Float
    /// dy/dx, written in terms of the input `x` or the output `y`, whichever is cheaper.
    static func derivative(x: Float, y: Float) -> Float
}

enum Tanh: UnaryFunction {
    static let name = "tanh"
    @inline(__always) static func value(_ x: Float) -> Float { VectorMath.tanh(x) }
    @inline(__always) static func derivative(x: Float, y: Float) -> Float { 1 - y * y }
}

enum Sigmoid: UnaryFunction {
    static let name = "sigmoid"
    @inline(__always) static func value(_ x: Float) -> Float { VectorMath.sigmoid(x) }
    @inline(__always) static func derivative(x: Float, y: Float) -> Float { y * (1 - y) }
}

enum ReLU: UnaryFunction {
    static let name = "relu"
    @inline(__always) static func value(_ x: Float) -> Float { max(x, 0) }
    @inline(__always) static func derivative(x: Float, y: Float) -> Float { x > 0 ? 1 : 0 }
}

enum Exp: UnaryFunction {
    static let name = "exp"
    @inline(__always) static func value(_ x: Float) -> Float { VectorMath.exp(x) }
    @inline(__always) static func derivative(x: Float, y: Float) -> Float { y }
}

enum Log: UnaryFunction {
    static let name = "log"
    @inline(__always) static func value(_ x: Float) -> Float { Foundation.logf(x) }
    @inline(__always) static func derivative(x: Float, y: Float) -> Float { 1 / x }
}

enum SquareRoot: UnaryFunction {
    static let name = "sqrt"
    @inline(__always) static func value(_ x: Float) -> Float { x.squareRoot() }
    @inline(__always) static func derivative(x: Float, y: Float) -> Float { 0.5 / y }
}

enum Square: UnaryFunction {
    static let name = "square"
    @inline(__always) static func value(_ x: Float) -> Float { x * x }
    @inline(__always) static func derivative(x: Float, y: Float) -> Float { 2 * x }
}

/// GELU with the exact erf form, PyTorch's default (`approximate='none'`).
enum GELU: UnaryFunction {
    static let name = "gelu"
    @inline(__always) static func value(_ x: Float) -> Float { 0.5 * x * (1 + Foundation.erff(x * 0.707_106_77)) }
    @inline(__always) static func derivative(x: Float, y: Float) -> Float {
        let cdf = 0.5 * (1 + Foundation.erff(x * 0.707_106_77))
        let pdf = Foundation.expf(-0.5 * x * x) * 0.398_942_3
        return cdf + x * pdf
    }
}

/// Elementwise nonlinearities.
extension Tensor {
    func unary<F: UnaryFunction>(_: F.Type) -> Tensor {
        let out = Tensor.uninitialized(shape)
        let x = data, o = out.data
        Parallel.forEachChunk(count, costPerItem: 8) { r in for i in r { o[i] = F.value(x[i]) } }
        return out.recording(F.name, [self]) { out, g in
            let gx = self.gradBuffer(), x = self.data, y = out.data
            Parallel.forEachChunk(out.count, costPerItem: 4) { r in
                for i in r { gx[i] += g[i] * F.derivative(x: x[i], y: y[i]) }
            }
        }
    }

    public func tanh() -> Tensor { unary(Tanh.self) }
    public func sigmoid() -> Tensor { unary(Sigmoid.self) }
    public func relu() -> Tensor { unary(ReLU.self) }
    public func exp() -> Tensor { unary(Exp.self) }
    public func log() -> Tensor { unary(Log.self) }
    public func sqrt() -> Tensor { unary(SquareRoot.self) }
    public func squared() -> Tensor { unary(Square.self) }
    /// GELU with the exact erf form, PyTorch's default (`approximate='none'`).
    public func gelu() -> Tensor { unary(GELU.self) }
}
