import Foundation
import Testing
import WordsmithEngine
import WordsmithModels
import WordsmithNN

/// Every model reproduces PyTorch's golden results: outputs, loss, final hidden state,
/// every gradient, the gradient norm, one clipped SGD step and two AdamW steps.
/// Models are built from each folder's config.json, so new fixtures need no code.
@Suite("PyTorch fixture parity")
struct FixtureParityTests {
    /// A language model built from a fixture config, RNN or Transformer.
    enum LanguageModel {
        case rnn(RNNLanguageModel)
        case transformer(TransformerLanguageModel)

        var module: Module {
            switch self {
            case .rnn(let m): m
            case .transformer(let m): m
            }
        }

        static func build(_ c: Fixtures.Case) throws -> LanguageModel {
            let config = LanguageModelConfig(
                kind: try c.string("kind"), ntoken: try c.int("ntoken"), emsize: try c.int("emsize"),
                nhid: try c.int("nhid"), nlayers: try c.int("nlayers"), nhead: try c.int("nhead"),
                dropout: try c.float("dropout"), tied: c.bool("tied"), normFirst: c.bool("norm_first"))
            let g = Generator(seed: 0)
            let model: LanguageModel = config.isTransformer
                ? .transformer(TransformerLanguageModel(config, generator: g))
                : .rnn(RNNLanguageModel(config, generator: g))
            try model.module.load(c.weights)
            model.module.train()
            return model
        }

        /// The fixture's initial RNN state.
        static func initialState(_ c: Fixtures.Case) throws -> RecurrentState {
            let c0 = c.expected.entries["hidden0.c"] != nil ? try c.expected.tensor("hidden0.c") : nil
            return RecurrentState(h: try c.expected.tensor("hidden0.h"), c: c0)
        }

        /// The training path: the decoder fused into the cross-entropy (`model.loss`).
        func fusedLoss(_ c: Fixtures.Case) throws -> Tensor {
            let input = try c.expected.indices("input"), target = try c.expected.indices("target")
            switch self {
            case .rnn(let m):
                return WordsmithModels.LanguageModel.recurrent(m).loss(input, targets: target.values, try Self.initialState(c)).0
            case .transformer(let m):
                return WordsmithModels.LanguageModel.transformer(m).loss(input, targets: target.values, nil).0
            }
        }

        /// Forward pass and NLL loss on the fixture's batch.
        func loss(_ c: Fixtures.Case) throws -> (logProbs: Tensor, loss: Tensor, state: RecurrentState?) {
            let input = try c.expected.indices("input"), target = try c.expected.indices("target")
            switch self {
            case .rnn(let m):
                let (logProbs, state) = m(input, try Self.initialState(c))
                return (logProbs, nllLoss(logProbs, targets: target.values), state)
            case .transformer(let m):
                let logProbs = m(input)
                return (logProbs, nllLoss(logProbs, targets: target.values), nil)
            }
        }
    }

    @Test("language model: outputs, loss, gradients, SGD and AdamW steps",
          .enabled(if: Fixtures.root != nil, Comment(rawValue: Fixtures.unavailableReason)),
          arguments: Fixtures.folders(prefix: "lm-"))
    func languageModel(_ name: String) throws {
        let c = try Fixtures.Case(name)
        let model = try LanguageModel.build(c)
        let (logProbs, loss, state) = try model.loss(c)
        expectClose(logProbs, try c.expected.tensor("log_probs"), "\(name) log_probs")
        expectClose(loss, try c.expected.tensor("loss"), "\(name) loss")
        if let state {
            expectClose(state.h, try c.expected.tensor("hidden.h"), "\(name) hidden.h")
            if c.expected.entries["hidden.c"] != nil {
                expectClose(state.c, try c.expected.tensor("hidden.c"), "\(name) hidden.c")
            }
        }

        loss.backward()
        let named = Dictionary(uniqueKeysWithValues: model.module.namedParameters())
        let gradKeys = c.expected.names.filter { $0.hasPrefix("grad.") }
        #expect(Set(gradKeys.map { String($0.dropFirst(5)) }) == Set(named.keys), "\(name): one gradient per distinct parameter")
        for key in gradKeys {
            let param = try #require(named[String(key.dropFirst(5))], "\(name): no parameter for \(key)")
            expectClose(param.grad, try c.expected.tensor(key), "\(name) \(key)")
        }
        // The fused loss the trainer uses gives the same loss and gradients.
        let fusedModel = try LanguageModel.build(c)
        let fused = try fusedModel.fusedLoss(c)
        expectClose(fused, try c.expected.tensor("loss"), "\(name) fused loss")
        fused.backward()
        for (paramName, param) in fusedModel.module.namedParameters() {
            expectClose(param.grad, try c.expected.tensor("grad." + paramName), "\(name) fused grad.\(paramName)")
        }

        let params = model.module.parameters()
        expectClose(Tensor(shape: [1], values: [gradNorm(params)]), try c.expected.tensor("grad_norm"), "\(name) grad_norm")

        // One SGD step with the example's clipping.
        clipGradNorm(params, maxNorm: try c.float("clip"))
        SGD(parameters: params, learningRate: try c.float("lr")).step()
        for key in c.expected.names where key.hasPrefix("sgd.") {
            let param = try #require(named[String(key.dropFirst(4))])
            expectClose(param, try c.expected.tensor(key), "\(name) \(key)")
        }

        // Two AdamW steps on the same batch, from fresh weights.
        let adamConfig = try #require(c.config["adamw"] as? [String: Any])
        let fresh = try LanguageModel.build(c)
        let freshNamed = Dictionary(uniqueKeysWithValues: fresh.module.namedParameters())
        let betas = try #require(adamConfig["betas"] as? [Any]).compactMap { SafeTensorsTestJSON.double($0) }
        let optimizer = Adam.adamW(
            parameters: fresh.module.parameters(),
            learningRate: Float(try #require(SafeTensorsTestJSON.double(adamConfig["lr"]))),
            betas: (Float(betas[0]), Float(betas[1])),
            eps: Float(try #require(SafeTensorsTestJSON.double(adamConfig["eps"]))),
            weightDecay: Float(try #require(SafeTensorsTestJSON.double(adamConfig["weight_decay"]))))
        let steps = SafeTensorsTestJSON.int(adamConfig["steps"]) ?? 2
        let adamLR = Float(try #require(SafeTensorsTestJSON.double(adamConfig["lr"])))
        for _ in 0..<steps {
            fresh.module.zeroGrad()
            try fresh.loss(c).loss.backward()
            optimizer.step()
        }
        for key in c.expected.names where key.hasPrefix("adamw2.") {
            let paramName = String(key.dropFirst(7))
            let param = try #require(freshNamed[paramName])
            // Looser bound, element by element: where the true gradient is zero (the attention
            // key bias: softmax ignores a constant added to every score) both PyTorch's and
            // our gradients are rounding noise (~1e-10), and Adam's m/√v turns noise of either
            // sign into a full step of ±lr. There the bound is lr per step; elsewhere 1e-5.
            let reference = try c.expected.tensor("grad." + paramName)
            let atol = reference.scalars.map { abs($0) < 1e-7 ? adamLR * Float(steps) : 1e-5 }
            expectClose(param, try c.expected.tensor(key), "\(name) \(key)", atolPerElement: atol)
        }
    }

    @Test("encoder-decoder Transformer: logits, smoothed and plain loss, gradients",
          .enabled(if: Fixtures.root != nil, Comment(rawValue: Fixtures.unavailableReason)),
          arguments: Fixtures.folders(prefix: "seq2seq-"))
    func seq2seq(_ name: String) throws {
        let c = try Fixtures.Case(name)
        let pad = Int32(try c.int("pad"))
        let config = Seq2SeqConfig(
            sourceVocab: try c.int("src_vocab"), targetVocab: try c.int("tgt_vocab"), dModel: try c.int("d_model"),
            heads: try c.int("nhead"), encoderLayers: try c.int("encoder_layers"), decoderLayers: try c.int("decoder_layers"),
            feedForward: try c.int("dim_feedforward"), dropout: try c.float("dropout"),
            activation: (c.config["activation"] as? String) ?? "relu", normFirst: c.bool("norm_first"), pad: pad)
        let model = Seq2SeqTransformer(config, generator: Generator(seed: 0))
        try model.load(c.weights)
        model.train()

        let src = try c.expected.indices("src"), tgt = try c.expected.indices("tgt")
        let t = tgt.shape[0] - 1
        let logits = model(source: src, target: tgt.rows(0, t))
        expectClose(logits, try c.expected.tensor("logits"), "\(name) logits")
        let flat = logits.reshaped([-1, config.targetVocab])
        let labels = tgt.rows(1, t).values
        let smoothing = c.config["label_smoothing"].flatMap(SafeTensorsTestJSON.double).map(Float.init) ?? 0.1
        let loss = crossEntropy(flat, targets: labels, ignoreIndex: pad, labelSmoothing: smoothing)
        expectClose(loss, try c.expected.tensor("loss"), "\(name) loss")
        let plain = withNoGrad { crossEntropy(flat, targets: labels, ignoreIndex: pad) }
        expectClose(plain, try c.expected.tensor("loss_no_smoothing"), "\(name) loss_no_smoothing")

        loss.backward()
        let named = Dictionary(uniqueKeysWithValues: model.namedParameters())
        let gradKeys = c.expected.names.filter { $0.hasPrefix("grad.") }
        #expect(Set(gradKeys.map { String($0.dropFirst(5)) }) == Set(named.keys), "\(name): one gradient per parameter")
        for key in gradKeys {
            let param = try #require(named[String(key.dropFirst(5))], "\(name): no parameter for \(key)")
            expectClose(param.grad, try c.expected.tensor(key), "\(name) \(key)")
        }

        // The training path: only non-padding positions through the fused output layer + loss.
        model.zeroGrad()
        let fused = model.loss(source: src, target: tgt.rows(0, t), targets: labels, labelSmoothing: smoothing)
        expectClose(fused, try c.expected.tensor("loss"), "\(name) fused loss")
        fused.backward()
        for key in gradKeys {
            let param = try #require(named[String(key.dropFirst(5))])
            expectClose(param.grad, try c.expected.tensor(key), "\(name) fused \(key)")
        }
    }
}
