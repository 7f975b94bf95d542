#!/usr/bin/env python3
"""PyTorch reference for `wordsmith translate-train` (not part of CI).

Same data (columns, seeded split, tokenization, vocabularies), same batches (batch size,
length grouping, epoch order), same model (nn.Transformer with src_emb / tgt_emb /
positional_encoding / generator, as in PyTorch's translation tutorial, Xavier init), same loss
(label-smoothed cross-entropy ignoring padding), same optimizer and schedule (Adam β=(0.9, 0.98),
ε=1e-9, warmup then inverse square root), same clipping and the same number of steps.
Decoding re-runs the decoder over the prefix each step (nn.Transformer has no KV cache).
BLEU is computed by sacreBLEU (13a; zh for a Chinese target).

    python benchmarks/translation/pytorch_translation.py --data ../shared/data/translation/cmn-eng/cmn.txt --max-steps 1500
"""
import argparse
import math
import time

import sacrebleu
import torch
import torch.nn as nn

PAD, BOS, EOS, UNK = 0, 1, 2, 3
SPECIALS = ["<pad>", "<bos>", "<eos>", "<unk>"]
MASK64 = (1 << 64) - 1


class SplitMix64:
    def __init__(self, seed):
        self.state = seed & MASK64

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)

    def shuffle(self, items):
        for i in range(len(items) - 1, 0, -1):
            j = self.next() % (i + 1)
            items[i], items[j] = items[j], items[i]


def is_cjk(ch):
    v = ord(ch)
    return 0x2E80 <= v <= 0x9FFF or 0xAC00 <= v <= 0xD7AF or 0xF900 <= v <= 0xFAFF or 0x20000 <= v <= 0x2FA1F


def guess(samples):
    letters = cjk = 0
    for s in samples:
        for ch in s:
            if ch.isalpha():
                letters += 1
                cjk += is_cjk(ch)
    return "characters" if letters and cjk * 2 > letters else "words"


def tokenize_words(text):
    """Lower-cased words, punctuation split off; inner ' - and digit . , kept (as Wordsmith)."""
    chars = list(text.lower())
    tokens, word = [], ""
    def wordchar(c):
        return c.isalpha() or c.isnumeric()
    for i, c in enumerate(chars):
        if wordchar(c):
            word += c
        elif (c in "'’-.,") and word and i + 1 < len(chars) and wordchar(chars[i + 1]) and \
                (c not in ".," or (word[-1].isnumeric() and chars[i + 1].isnumeric())):
            word += "'" if c == "’" else c
        else:
            if word:
                tokens.append(word)
                word = ""
            if not c.isspace():
                tokens.append(c)
    if word:
        tokens.append(word)
    return tokens


def tokenize(kind, text):
    return [c for c in text if not c.isspace()] if kind == "characters" else tokenize_words(text)


def detokenize(kind, tokens):
    if kind == "characters":
        return "".join(tokens)
    out, prev = "", None
    for t in tokens:
        w = "I" if t == "i" else ("I" + t[1:] if t.startswith("i'") else t)
        if prev is not None and w not in {".", ",", "!", "?", ";", ":", "%", ")", "]", "}", "…", "'s", "n't"} \
                and prev not in {"(", "[", "{", "$", "#"}:
            out += " "
        out += w
        prev = w
    return out[:1].upper() + out[1:]


def split(targets, seed, valid_fraction=0.05, test_fraction=0.05):
    group_of, groups = {}, []
    for i, t in enumerate(targets):
        if t in group_of:
            groups[group_of[t]].append(i)
        else:
            group_of[t] = len(groups)
            groups.append([i])
    SplitMix64(seed).shuffle(groups)
    n = len(targets)
    test_size, valid_size = math.floor(n * test_fraction + 0.5), math.floor(n * valid_fraction + 0.5)
    train, valid, test = [], [], []
    for g in groups:
        if len(test) < test_size:
            test += g
        elif len(valid) < valid_size:
            valid += g
        else:
            train += g
    return train, valid, test


def vocabulary(sentences, min_freq):
    counts, order = {}, []
    for s in sentences:
        for t in s:
            if t not in counts:
                order.append(t)
                counts[t] = 0
            counts[t] += 1
    ranked = [t for _, t in sorted(((-counts[t], i), t) for i, t in enumerate(order)
                                   if counts[t] >= min_freq and t not in SPECIALS)]
    words = SPECIALS + ranked
    return words, {w: i for i, w in enumerate(words)}


def make_batches(pairs, batch_size, seed=None):
    order = list(range(len(pairs)))
    if seed is not None:
        SplitMix64(seed).shuffle(order)
    ranked = sorted(enumerate(order), key=lambda e: (len(pairs[e[1]][0]), len(pairs[e[1]][1]), e[0]))
    order = [i for _, i in ranked]
    batches = []
    for start in range(0, len(order), batch_size):
        idx = order[start:start + batch_size]
        s = max(len(pairs[i][0]) for i in idx) + 1
        t = max(len(pairs[i][1]) for i in idx) + 1
        src = torch.full((s, len(idx)), PAD, dtype=torch.long)
        tin = torch.full((t, len(idx)), PAD, dtype=torch.long)
        tout = torch.full((t, len(idx)), PAD, dtype=torch.long)
        for j, i in enumerate(idx):
            x, y = pairs[i][0] + [EOS], pairs[i][1]
            src[:len(x), j] = torch.tensor(x)
            tin[0, j] = BOS
            if y:
                tin[1:len(y) + 1, j] = torch.tensor(y)
                tout[:len(y), j] = torch.tensor(y)
            tout[len(y), j] = EOS
        batches.append((idx, src, tin, tout, sum(len(pairs[i][1]) + 1 for i in idx)))
    return batches


class PositionalEncoding(nn.Module):
    def __init__(self, d_model, dropout, maxlen=5000):
        super().__init__()
        den = torch.exp(-torch.arange(0, d_model, 2) * math.log(10000) / d_model)
        pos = torch.arange(0, maxlen).reshape(maxlen, 1)
        pe = torch.zeros((maxlen, d_model))
        pe[:, 0::2] = torch.sin(pos * den)
        pe[:, 1::2] = torch.cos(pos * den)
        self.dropout = nn.Dropout(dropout)
        self.register_buffer("pe", pe.unsqueeze(-2))

    def forward(self, x):
        return self.dropout(x + self.pe[:x.size(0)])


class Seq2SeqTransformer(nn.Module):
    def __init__(self, src_vocab, tgt_vocab, d_model, nhead, layers, ff, dropout, norm_first, tied):
        super().__init__()
        self.transformer = nn.Transformer(d_model, nhead, layers, layers, ff, dropout, norm_first=norm_first)
        self.generator = nn.Linear(d_model, tgt_vocab)
        self.src_emb = nn.Embedding(src_vocab, d_model)
        self.tgt_emb = nn.Embedding(tgt_vocab, d_model)
        self.positional_encoding = PositionalEncoding(d_model, dropout)
        self.d_model = d_model
        if tied:
            self.generator.weight = self.tgt_emb.weight
        for p in self.parameters():
            if p.dim() > 1:
                nn.init.xavier_uniform_(p)

    def embed(self, table, ids):
        return self.positional_encoding(table(ids) * math.sqrt(self.d_model))

    def encode(self, src):
        return self.transformer.encoder(self.embed(self.src_emb, src), src_key_padding_mask=(src == PAD).T)

    def decode(self, tgt, memory, src_padding):
        mask = self.transformer.generate_square_subsequent_mask(tgt.size(0))
        h = self.transformer.decoder(self.embed(self.tgt_emb, tgt), memory, tgt_mask=mask, tgt_is_causal=True,
                                     tgt_key_padding_mask=(tgt == PAD).T, memory_key_padding_mask=src_padding)
        return self.generator(h)

    def forward(self, src, tgt):
        return self.decode(tgt, self.encode(src), (src == PAD).T)


@torch.no_grad()
def greedy(model, pairs, batch_size):
    model.eval()
    out = [None] * len(pairs)
    for idx, src, _, _, _ in make_batches(pairs, batch_size):
        memory, src_padding = model.encode(src), (src == PAD).T
        ys = torch.full((1, len(idx)), BOS, dtype=torch.long)
        done = torch.zeros(len(idx), dtype=torch.bool)
        limits = torch.tensor([2 * len(pairs[i][0]) + 10 for i in idx])
        for step in range(int(limits.max())):
            nxt = model.decode(ys, memory, src_padding)[-1].argmax(-1)
            nxt = torch.where(done, torch.full_like(nxt, PAD), nxt)
            ys = torch.cat([ys, nxt.unsqueeze(0)])
            done |= (nxt == EOS) | (step + 1 >= limits)
            if bool(done.all()):
                break
        for j, i in enumerate(idx):
            toks = []
            for t in ys[1:, j].tolist():
                if t in (EOS, PAD) or len(toks) >= limits[j]:
                    break
                toks.append(t)
            out[i] = toks
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True)
    ap.add_argument("--source-column", type=int, default=2)
    ap.add_argument("--target-column", type=int, default=1)
    ap.add_argument("--reverse", action="store_true")
    ap.add_argument("--d-model", type=int, default=256)
    ap.add_argument("--nhead", type=int, default=4)
    ap.add_argument("--layers", type=int, default=3)
    ap.add_argument("--ff", type=int, default=1024)
    ap.add_argument("--dropout", type=float, default=0.1)
    ap.add_argument("--tied", action="store_true")
    ap.add_argument("--norm-first", action="store_true")
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=1000)
    ap.add_argument("--lr-scale", type=float, default=1.0)
    ap.add_argument("--weight-decay", type=float, default=0.0)
    ap.add_argument("--label-smoothing", type=float, default=0.1)
    ap.add_argument("--clip", type=float, default=1.0)
    ap.add_argument("--min-freq", type=int, default=1)
    ap.add_argument("--max-steps", type=int)
    ap.add_argument("--max-minutes", type=float, help="stop training after this many minutes of training time")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--log-interval", type=int, default=100)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    sc, tc = (args.target_column, args.source_column) if args.reverse else (args.source_column, args.target_column)
    raw = []
    with open(args.data, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n").rstrip("\r")
            if not line.strip():
                continue
            cols = line.split("\t")
            s, t = cols[sc - 1], cols[tc - 1]
            if s.strip() and t.strip():
                raw.append((s, t))
    skind, tkind = guess([s for s, _ in raw[:2000]]), guess([t for _, t in raw[:2000]])
    train_i, valid_i, test_i = split([t for _, t in raw], args.seed)
    toks = [(tokenize(skind, s), tokenize(tkind, t)) for s, t in raw]
    train_i = [i for i in train_i if len(toks[i][0]) <= 100 and len(toks[i][1]) <= 100]
    swords, sids = vocabulary([toks[i][0] for i in train_i], args.min_freq)
    twords, tids = vocabulary([toks[i][1] for i in train_i], args.min_freq)
    def enc(ids):
        return [([sids.get(w, UNK) for w in toks[i][0]], [tids.get(w, UNK) for w in toks[i][1]]) for i in ids]
    train, valid, test = enc(train_i), enc(valid_i), enc(test_i)
    print(f"split: train {len(train)}, valid {len(valid)}, test {len(test)}; vocabularies {len(swords)} ({skind}), {len(twords)} ({tkind})", flush=True)

    model = Seq2SeqTransformer(len(swords), len(twords), args.d_model, args.nhead, args.layers, args.ff,
                               args.dropout, args.norm_first, args.tied)
    print(f"model: {sum(p.numel() for p in model.parameters())} parameters", flush=True)
    opt_cls = torch.optim.AdamW if args.weight_decay > 0 else torch.optim.Adam
    opt = opt_cls(model.parameters(), lr=1.0, betas=(0.9, 0.98), eps=1e-9, weight_decay=args.weight_decay)
    d, w = args.d_model, args.warmup
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda i: args.lr_scale * d ** -0.5 * min((i + 1) ** -0.5, (i + 1) * w ** -1.5))
    loss_fn = nn.CrossEntropyLoss(ignore_index=PAD, label_smoothing=args.label_smoothing)
    batches = make_batches(train, args.batch_size, seed=args.seed)
    rng = SplitMix64(args.seed + 1)
    tokenization = "zh" if tkind == "characters" else "13a"
    valid_refs, test_refs = [raw[i][1] for i in valid_i], [raw[i][1] for i in test_i]

    def bleu(pairs, refs):
        hyps = [detokenize(tkind, [twords[t] for t in h]) for h in greedy(model, pairs, args.batch_size)]
        return sacrebleu.corpus_bleu(hyps, [refs], tokenize=tokenization), hyps

    step, trained_tokens, train_seconds = 0, 0, 0.0
    best_bleu, best_state = None, None
    for epoch in range(1, args.epochs + 1):
        order = list(range(len(batches)))
        rng.shuffle(order)
        model.train()
        start, tokens, total = time.time(), 0, 0.0
        for n, b in enumerate(order):
            if args.max_steps is not None and step >= args.max_steps:
                break
            if args.max_minutes is not None and train_seconds + time.time() - start >= 60 * args.max_minutes:
                break
            _, src, tin, tout, ntok = batches[b]
            logits = model(src, tin)
            loss = loss_fn(logits.reshape(-1, logits.size(-1)), tout.reshape(-1))
            opt.zero_grad()
            loss.backward()
            if args.clip > 0:
                nn.utils.clip_grad_norm_(model.parameters(), args.clip)
            opt.step()
            sched.step()
            step += 1
            tokens += ntok
            total += loss.item() * ntok
            if (n + 1) % args.log_interval == 0:
                el = time.time() - start
                print(f"| epoch {epoch:3d} | {n + 1:5d}/{len(order):5d} batches | tok/s {tokens / el:6.0f} | loss {total / tokens:5.3f}", flush=True)
        seconds = time.time() - start
        trained_tokens += tokens
        train_seconds += seconds
        if tokens == 0:
            break
        score, _ = bleu(valid, valid_refs)
        print(f"| end of epoch {epoch:3d} | time {seconds:6.1f}s | train loss {total / tokens:5.3f} | tok/s {tokens / seconds:6.0f} | valid BLEU {score.score:5.2f}", flush=True)
        if best_bleu is None or score.score > best_bleu:
            best_bleu, best_state = score.score, {k: v.clone() for k, v in model.state_dict().items()}
        if args.max_steps is not None and step >= args.max_steps:
            break
        if args.max_minutes is not None and train_seconds >= 60 * args.max_minutes:
            break
    model.load_state_dict(best_state)
    score, _ = bleu(test, test_refs)
    print(f"trained {step} steps, {trained_tokens} target tokens in {train_seconds:.0f} s ({trained_tokens / train_seconds:.0f} target tokens/s)")
    print(f"test {score} (greedy, best validation checkpoint)")


if __name__ == "__main__":
    main()
