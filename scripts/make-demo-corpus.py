#!/usr/bin/env python3
"""Writes the small demo corpus shipped with Wordsmith (Sources/WordsmithLM/DemoCorpus).

The text is produced by a seeded toy grammar about a wordsmith's workshop, written for this
project: enough regular structure for a small model to learn in a minute, and small enough
(~150 KB) to ship in the package. Run it again to regenerate the same files.
"""
import os
import random

rng = random.Random(2026)

people = ["the wordsmith", "the apprentice", "the old printer", "the young poet", "the teacher",
          "the children", "the reader", "the baker", "the sailor", "the gardener", "my sister", "our neighbour"]
plural_people = {"the children"}
things = ["a new word", "the long sentence", "a short poem", "the heavy book", "an old letter", "the map",
          "a quiet story", "the red notebook", "a bright idea", "the wooden table", "the lamp", "a little song"]
places = ["in the workshop", "by the river", "at the market", "in the garden", "near the harbour",
          "under the bridge", "in the library", "on the hill", "at the school", "beside the window"]
times = ["in the morning", "every evening", "at night", "on sunday", "after the rain", "before dinner",
         "in the winter", "all day", "once a week", "at dawn"]
verbs = [("writes", "write", "wrote"), ("reads", "read", "read"), ("finds", "find", "found"),
         ("carries", "carry", "carried"), ("mends", "mend", "mended"), ("keeps", "keep", "kept"),
         ("shares", "share", "shared"), ("paints", "paint", "painted"), ("sings", "sing", "sang"),
         ("opens", "open", "opened")]
adjectives = ["happy", "tired", "curious", "quiet", "busy", "patient", "careful", "proud", "sleepy", "kind"]
reasons = ["because the light was good", "because nobody else would", "so that nothing was lost",
           "while the kettle boiled", "and then went home", "and everyone listened", "as the bells rang",
           "and smiled", "without a word", "for the first time"]


def subject_verb(tense):
    who = rng.choice(people)
    present, base, past = rng.choice(verbs)
    if tense == "past":
        return who, past
    return who, base if who in plural_people else present


def sentence():
    kind = rng.random()
    if kind < 0.35:
        who, verb = subject_verb("present")
        return f"{who} {verb} {rng.choice(things)} {rng.choice(places)} {rng.choice(times)} ."
    if kind < 0.65:
        who, verb = subject_verb("past")
        return f"{rng.choice(times)} , {who} {verb} {rng.choice(things)} {rng.choice(reasons)} ."
    if kind < 0.85:
        who = rng.choice(people)
        be = "were" if who in plural_people else "was"
        return f"{who} {be} {rng.choice(adjectives)} {rng.choice(places)} ."
    who, verb = subject_verb("present")
    other, verb2 = subject_verb("present")
    return f"{who} {verb} {rng.choice(things)} , and {other} {verb2} {rng.choice(things)} ."


def paragraph():
    return " ".join(sentence() for _ in range(rng.randint(2, 5)))


def write(name, lines):
    out = os.path.join(os.path.dirname(__file__), "..", "Sources", "WordsmithLM", "DemoCorpus", name)
    with open(out, "w") as f:
        for _ in range(lines):
            f.write(" " + paragraph() + " \n")


write("train.txt", 1000)
write("valid.txt", 100)
write("test.txt", 100)
