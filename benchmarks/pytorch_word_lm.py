#!/usr/bin/env python3
"""PyTorch reference for `wordsmith train`: the model, data pipeline and training loop of
PyTorch's word_language_model example (main.py / data.py / model.py), written out here so the
two can be run side by side with the same flags. Not part of CI.

    python benchmarks/pytorch_word_lm.py --data ../shared/data/wikitext-2 --epochs 1 --model LSTM

Prints the example's log lines and, at the end, `| End of training | test loss ... | test ppl ...`.
"""
import argparse
import math
import os
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument("--data", default="./data/wikitext-2")
p.add_argument("--model", default="LSTM")
p.add_argument("--emsize", type=int, default=200)
p.add_argument("--nhid", type=int, default=200)
p.add_argument("--nlayers", type=int, default=2)
p.add_argument("--lr", type=float, default=20)
p.add_argument("--clip", type=float, default=0.25)
p.add_argument("--epochs", type=int, default=40)
p.add_argument("--batch_size", type=int, default=20)
p.add_argument("--bptt", type=int, default=35)
p.add_argument("--dropout", type=float, default=0.2)
p.add_argument("--tied", action="store_true")
p.add_argument("--seed", type=int, default=1111)
p.add_argument("--log-interval", type=int, default=200)
p.add_argument("--save", default="model.pt")
p.add_argument("--nhead", type=int, default=2)
p.add_argument("--threads", type=int, default=2)
p.add_argument("--safetensors", help="also write the best model's state_dict here (for `wordsmith evaluate`)")
args = p.parse_args()
torch.manual_seed(args.seed)
torch.set_num_threads(args.threads)


def tokenize(path, vocab):
    ids = []
    with open(path, encoding="utf8") as f:
        for line in f:
            for w in line.split() + ["<eos>"]:
                ids.append(vocab.setdefault(w, len(vocab)))
    return torch.tensor(ids, dtype=torch.int64)


vocab = {}
train, valid, test = (tokenize(os.path.join(args.data, n), vocab) for n in ("train.txt", "valid.txt", "test.txt"))
ntokens = len(vocab)


def batchify(data, bsz):
    n = data.size(0) // bsz
    return data[: n * bsz].view(bsz, -1).t().contiguous()


class RNNModel(nn.Module):
    def __init__(self, kind, ntoken, ninp, nhid, nlayers, dropout, tie):
        super().__init__()
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        if kind in ("LSTM", "GRU"):
            self.rnn = getattr(nn, kind)(ninp, nhid, nlayers, dropout=dropout)
        else:
            self.rnn = nn.RNN(ninp, nhid, nlayers, nonlinearity=kind[4:].lower(), dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)
        if tie:
            self.decoder.weight = self.encoder.weight
        nn.init.uniform_(self.encoder.weight, -0.1, 0.1)
        nn.init.zeros_(self.decoder.bias)
        nn.init.uniform_(self.decoder.weight, -0.1, 0.1)
        self.kind, self.nhid, self.nlayers = kind, nhid, nlayers

    def forward(self, x, hidden):
        out, hidden = self.rnn(self.drop(self.encoder(x)), hidden)
        return F.log_softmax(self.decoder(self.drop(out)).view(-1, ntokens), dim=1), hidden

    def init_hidden(self, bsz):
        z = torch.zeros(self.nlayers, bsz, self.nhid)
        return (z, z.clone()) if self.kind == "LSTM" else z


class PositionalEncoding(nn.Module):
    def __init__(self, d, dropout, max_len=5000):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        pe = torch.zeros(max_len, d)
        pos = torch.arange(0, max_len, dtype=torch.float).unsqueeze(1)
        div = torch.exp(torch.arange(0, d, 2).float() * (-math.log(10000.0) / d))
        pe[:, 0::2], pe[:, 1::2] = torch.sin(pos * div), torch.cos(pos * div)
        self.register_buffer("pe", pe.unsqueeze(1))

    def forward(self, x):
        return self.dropout(x + self.pe[: x.size(0)])


class TransformerModel(nn.Transformer):
    # As the example: nn.Transformer's encoder (layers keep the default dropout 0.1) plus a
    # final LayerNorm, sinusoidal positions with --dropout, and a linear decoder.
    def __init__(self, ntoken, ninp, nhead, nhid, nlayers, dropout):
        super().__init__(d_model=ninp, nhead=nhead, dim_feedforward=nhid, num_encoder_layers=nlayers)
        self.pos_encoder = PositionalEncoding(ninp, dropout)
        self.input_emb = nn.Embedding(ntoken, ninp)
        self.decoder = nn.Linear(ninp, ntoken)
        self.ninp = ninp
        nn.init.uniform_(self.input_emb.weight, -0.1, 0.1)
        nn.init.zeros_(self.decoder.bias)
        nn.init.uniform_(self.decoder.weight, -0.1, 0.1)

    def forward(self, src, hidden=None):
        mask = torch.log(torch.tril(torch.ones(len(src), len(src))))
        x = self.pos_encoder(self.input_emb(src) * math.sqrt(self.ninp))
        return F.log_softmax(self.decoder(self.encoder(x, mask=mask)), dim=-1).view(-1, ntokens), None

    def init_hidden(self, bsz):
        return None


if args.model == "Transformer":
    model = TransformerModel(ntokens, args.emsize, args.nhead, args.nhid, args.nlayers, args.dropout)
else:
    model = RNNModel(args.model, ntokens, args.emsize, args.nhid, args.nlayers, args.dropout, args.tied)
train_data, val_data, test_data = batchify(train, args.batch_size), batchify(valid, 10), batchify(test, 10)


def repackage(h):
    return None if h is None else (h.detach() if isinstance(h, torch.Tensor) else tuple(repackage(v) for v in h))


def get_batch(source, i):
    n = min(args.bptt, len(source) - 1 - i)
    return source[i : i + n], source[i + 1 : i + 1 + n].reshape(-1)


def evaluate(source):
    model.eval()
    total, hidden = 0.0, model.init_hidden(10)
    with torch.no_grad():
        for i in range(0, source.size(0) - 1, args.bptt):
            data, targets = get_batch(source, i)
            out, hidden = model(data, hidden)
            hidden = repackage(hidden)
            total += len(data) * F.nll_loss(out, targets).item()
    return total / (len(source) - 1)


lr, best = args.lr, None
for epoch in range(1, args.epochs + 1):
    t0 = time.time()
    model.train()
    total, start, hidden, tokens = 0.0, time.time(), model.init_hidden(args.batch_size), 0
    for batch, i in enumerate(range(0, train_data.size(0) - 1, args.bptt)):
        data, targets = get_batch(train_data, i)
        model.zero_grad()
        out, hidden = model(data, repackage(hidden))
        loss = F.nll_loss(out, targets)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        for prm in model.parameters():
            prm.data.add_(prm.grad, alpha=-lr)
        total += loss.item()
        tokens += targets.numel()
        if batch % args.log_interval == 0 and batch > 0:
            cur, el = total / args.log_interval, time.time() - start
            print("| epoch {:3d} | {:5d}/{:5d} batches | lr {:02.2f} | ms/batch {:5.2f} | loss {:5.2f} | ppl {:8.2f} | tok/s {:.0f}".format(
                epoch, batch, len(train_data) // args.bptt, lr, el * 1000 / args.log_interval, cur, math.exp(cur), tokens / el), flush=True)
            total, start, tokens = 0.0, time.time(), 0
    val = evaluate(val_data)
    print("-" * 89)
    print("| end of epoch {:3d} | time: {:5.2f}s | valid loss {:5.2f} | valid ppl {:8.2f}".format(epoch, time.time() - t0, val, math.exp(val)))
    print("-" * 89, flush=True)
    if best is None or val < best:
        torch.save(model, args.save)  # the whole model, as the example saves it
        best = val
    else:
        lr /= 4.0
model = torch.load(args.save, weights_only=False)
tl = evaluate(test_data)
print("=" * 89)
print("| End of training | test loss {:5.2f} | test ppl {:8.2f}".format(tl, math.exp(tl)))
print("=" * 89)
if args.safetensors:
    import safetensors.torch
    safetensors.torch.save_file({k: v.contiguous() for k, v in model.state_dict().items()}, args.safetensors)
