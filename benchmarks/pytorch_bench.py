#!/usr/bin/env python3
"""PyTorch side of benchmarks/compare-pytorch: the example's default model and training step
(forward, NLL, backward, clip_grad_norm_, p -= lr * grad) on batch 20 x bptt 35, then
evaluation at batch 10, printing one JSON object with the same keys as `wordsmith bench --json`."""
import argparse, json, os, resource, time
import torch

ap = argparse.ArgumentParser()
ap.add_argument("--model", default="LSTM")
ap.add_argument("--batches", type=int, default=10)
ap.add_argument("--data")
ap.add_argument("--threads", type=int, default=os.cpu_count())
a = ap.parse_args()
torch.set_num_threads(a.threads)

ntokens = 33278
if a.data:
    vocab, ids = {}, []
    with open(os.path.join(a.data, "train.txt"), encoding="utf8") as f:
        for line in f:
            for w in line.split() + ["<eos>"]:
                ids.append(vocab.setdefault(w, len(vocab)))
    stream = torch.tensor(ids)
    ntokens = len(vocab)
else:
    g = torch.Generator().manual_seed(7)
    stream = torch.randint(ntokens, ((a.batches + 3) * 700 + 40,), generator=g)

import torch.nn as nn, torch.nn.functional as F, math
torch.manual_seed(1111)
if a.model == "Transformer":
    layer = nn.TransformerEncoderLayer(200, 2, 200)  # dropout 0.1 as in the example
    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.input_emb = nn.Embedding(ntokens, 200)
            self.encoder = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(200), enable_nested_tensor=False)
            self.decoder = nn.Linear(200, ntokens)
            self.drop = nn.Dropout(0.2)
        def forward(self, x, h=None):
            mask = torch.log(torch.tril(torch.ones(len(x), len(x))))
            pos = torch.arange(len(x), dtype=torch.float).unsqueeze(1)
            div = torch.exp(torch.arange(0, 200, 2).float() * (-math.log(10000.0) / 200))
            pe = torch.zeros(len(x), 1, 200)
            pe[:, 0, 0::2], pe[:, 0, 1::2] = torch.sin(pos * div), torch.cos(pos * div)
            return F.log_softmax(self.decoder(self.encoder(self.drop(self.input_emb(x) * math.sqrt(200) + pe), mask=mask)), -1).view(-1, ntokens), None
        def init_hidden(self, b): return None
else:
    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = nn.Embedding(ntokens, 200)
            self.rnn = getattr(nn, a.model)(200, 200, 2, dropout=0.2) if a.model in ("LSTM", "GRU") else nn.RNN(200, 200, 2, nonlinearity="tanh", dropout=0.2)
            self.decoder = nn.Linear(200, ntokens)
            self.drop = nn.Dropout(0.2)
        def forward(self, x, h):
            out, h = self.rnn(self.drop(self.encoder(x)), h)
            return F.log_softmax(self.decoder(self.drop(out)).view(-1, ntokens), 1), h
        def init_hidden(self, b):
            z = torch.zeros(2, b, 200)
            return (z, z.clone()) if a.model == "LSTM" else z
model = Model()

def batches(bsz, n):
    rows = stream.size(0) // bsz
    data = stream[: rows * bsz].view(bsz, -1).t().contiguous()
    for i in range(0, min(n * 35, rows - 1), 35):
        m = min(35, rows - 1 - i)
        yield data[i:i + m], data[i + 1:i + 1 + m].reshape(-1)

def detach(h):
    return None if h is None else (h.detach() if isinstance(h, torch.Tensor) else tuple(detach(v) for v in h))

def train(n):
    model.train(); h = model.init_hidden(20); tokens = 0
    for x, y in batches(20, n):
        model.zero_grad()
        out, h = model(x, detach(h))
        loss = F.nll_loss(out, y); loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.25)
        for p in model.parameters(): p.data.add_(p.grad, alpha=-20)
        tokens += y.numel()
    return tokens

train(2)
t = time.time(); tokens = train(a.batches); train_rate = tokens / (time.time() - t)
model.eval(); h = model.init_hidden(10); t = time.time(); tokens = 0
with torch.no_grad():
    for x, y in batches(10, a.batches):
        out, h = model(x, h); tokens += y.numel()
eval_rate = tokens / (time.time() - t)
print(json.dumps({"model": a.model, "train_tokens_per_s": train_rate, "eval_tokens_per_s": eval_rate,
                  "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
