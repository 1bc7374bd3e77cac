"""The crisis second stage's cost: microseconds of CPU per post for the model alone and for the
first stage with the model combined, on posts of about 1 KB in each language and on short
posts (the same posts as `bench.crisis`), and the share of posts the model raises.

    python -m bench.crisis_model [--rounds 5]

CPU time of this process, best of the rounds. The model file is read before timing starts.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from functools import partial

from bench.crisis import LANGUAGES, lines_of, long_posts
from moderation.crisis.detector import assess
from moderation.crisis.model import combine, second_stage, shipped


def per_post(posts: Sequence[str], score: Callable[[str], object], rounds: int) -> float:
    """Best CPU µs per post over the rounds."""
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        for post in posts:
            score(post)
        best = min(best, (time.process_time() - started) / len(posts) * 1e6)
    return best


def _both(post: str, language: str) -> object:
    return combine(assess(post, language), post)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.crisis_model",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--rounds", type=int, default=5, help="rounds per case (default 5)")
    args = parser.parse_args(argv)
    shipped()
    print(f"{'posts':<20}{'n':>5}{'model µs':>11}{'both µs':>11}{'raised':>9}")
    for language in LANGUAGES:
        texts = lines_of(language)
        cases = {f"{language} ~1 KB": long_posts(texts), f"{language} short": texts}
        for name, posts in cases.items():
            firsts = [assess(post, language) for post in posts]
            model = per_post(posts, second_stage, args.rounds)
            both = per_post(posts, partial(_both, language=language), args.rounds)
            raised = sum(
                combine(first, post).level != first.level
                for first, post in zip(firsts, posts, strict=True)
            ) / len(posts)
            print(f"{name:<20}{len(posts):>5}{model:>11.1f}{both:>11.1f}{raised:>9.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
