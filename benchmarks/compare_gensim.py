#!/usr/bin/env python3
"""Driver of benchmarks/compare-gensim (see there)."""
import argparse, logging, os, re, statistics, subprocess, tempfile, time
from gensim.models import Word2Vec, KeyedVectors
from gensim.models.word2vec import LineSentence

ap = argparse.ArgumentParser()
ap.add_argument("--input", required=True)
ap.add_argument("--seeds", type=int, default=3)
ap.add_argument("--wordsmith", required=True)
a = ap.parse_args()
data = os.path.join(os.path.dirname(os.path.abspath(a.input)), "..", "word2vec")
questions = os.path.join(data, "questions-words.txt")
wordsim = os.path.join(data, "wordsim353.tsv")
words = sum(len(l.split()) for l in open(a.input, encoding="utf8"))


def scores(kv):
    acc, _ = kv.evaluate_word_analogies(questions, restrict_vocab=30000)
    pearson, spearman, oov = kv.evaluate_word_pairs(wordsim, restrict_vocab=300000)
    return acc, spearman[0]


rows = []
tmp = tempfile.mkdtemp()
for model in ["cbow", "skipgram"]:
    for seed in range(1, a.seeds + 1):
        t = time.time()
        m = Word2Vec(LineSentence(a.input), vector_size=100, window=5, min_count=5, sample=1e-3, negative=5, hs=0,
                     epochs=5, workers=2, sg=1 if model == "skipgram" else 0, seed=seed)
        g_rate = words * 5 / (time.time() - t)  # the corpus is read and vocabulary built inside, as for Wordsmith
        g_acc, g_rho = scores(m.wv)
        out = os.path.join(tmp, f"{model}-{seed}.txt")
        t = time.time()
        log = subprocess.run([a.wordsmith, "word2vec", "--input", a.input, "--output", out, "--model", model,
                              "--threads", "2", "--seed", str(seed)], capture_output=True, text=True, check=True).stderr
        w_rate = words * 5 / (time.time() - t)
        w_inner = float(re.search(r"([0-9.]+) words/s", log).group(1))
        kv = KeyedVectors.load_word2vec_format(out, binary=False)
        w_acc, w_rho = scores(kv)
        rows.append((model, seed, g_rate, w_rate, w_inner, g_acc, w_acc, g_rho, w_rho))
        print(f"{model:8} seed {seed}: words/s gensim {g_rate:,.0f}  wordsmith {w_rate:,.0f} (training loop {w_inner:,.0f}) | "
              f"analogy gensim {100*g_acc:.1f}%  wordsmith {100*w_acc:.1f}% | WS353 gensim {g_rho:.3f}  wordsmith {w_rho:.3f}", flush=True)

print()
for model in ["cbow", "skipgram"]:
    r = [x for x in rows if x[0] == model]
    f = lambda i: (statistics.mean(x[i] for x in r), statistics.pstdev(x[i] for x in r))
    print(f"{model:8} mean over {len(r)} seeds: words/s gensim {f(2)[0]:,.0f}, wordsmith {f(3)[0]:,.0f} "
          f"(ratio {f(3)[0]/f(2)[0]:.2f}); analogy gensim {100*f(5)[0]:.1f}±{100*f(5)[1]:.1f}%, wordsmith "
          f"{100*f(6)[0]:.1f}±{100*f(6)[1]:.1f}%; WS353 gensim {f(7)[0]:.3f}±{f(7)[1]:.3f}, wordsmith {f(8)[0]:.3f}±{f(8)[1]:.3f}")

# Vectors written by Wordsmith load in gensim and give the same neighbours as `wordsmith similar`.
out = os.path.join(tmp, "cbow-1.txt")
kv = KeyedVectors.load_word2vec_format(out, binary=False)
for word in ["king", "city", "music"]:
    ours = subprocess.run([a.wordsmith, "similar", word, "--vectors", out, "--topn", "5"], capture_output=True, text=True, check=True).stdout.split()[::2]
    theirs = [w for w, _ in kv.most_similar(word, topn=5)]
    print(f"neighbours of {word!r}: wordsmith {ours} gensim {theirs} -> {'same' if ours == theirs else 'DIFFERENT'}")

# The binary format loads in gensim too, with the same neighbours as `wordsmith similar`.
binary = os.path.join(tmp, "cbow-1.bin")
subprocess.run([a.wordsmith, "word2vec", "--input", a.input, "--output", binary, "--binary", "--seed", "1"],
               capture_output=True, check=True)
kb = KeyedVectors.load_word2vec_format(binary, binary=True)
ours = subprocess.run([a.wordsmith, "similar", "king", "--vectors", binary, "--topn", "5"], capture_output=True, text=True, check=True).stdout.split()[::2]
theirs = [w for w, _ in kb.most_similar("king", topn=5)]
print(f"binary file: {len(kb)} vectors load in gensim; neighbours of 'king' {'same' if ours == theirs else 'DIFFERENT'}: {theirs}")
