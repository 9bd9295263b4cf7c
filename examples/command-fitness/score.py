#!/usr/bin/env python3
"""A fitness in any language: the harness arrives on stdin (its path also in
HARNESS_FILE); print a JSON object with a score in [0,1] and feedback."""
import json
import re
import sys

harness = sys.stdin.read()
practices = {
    "state units": r"\bunits?\b",
    "verify the arithmetic": r"\b(verify|double-check|recompute)\b",
    "check edge cases": r"\bedge cases?\b",
    "restate the question": r"\brestate\b",
}
missing = [name for name, pattern in practices.items() if not re.search(pattern, harness, re.I)]
words = len(harness.split())
score = max(0.0, min(1.0, 1 - len(missing) / len(practices) - max(0, words - 150) / 600))
feedback = ("Missing: " + "; ".join(missing) + "." if missing else "All practices present.") + f" {words} words."
print(json.dumps({"score": score, "feedback": feedback}))
