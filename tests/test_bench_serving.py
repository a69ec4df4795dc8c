"""The serving benchmark's summary of interleaved rounds (bench.serving.combine_rounds)."""
from bench.serving import combine_rounds, table, with_fractions


def row(req_per_s: float, p99: float, errors: int = 0) -> dict:
    return {"path": "x", "distinct_requests": 1, "requests": int(req_per_s * 10), "seconds": 10.0,
            "req_per_s": req_per_s, "p50_ms": 1000 / req_per_s, "p99_ms": p99, "errors": errors}


def test_each_fraction_is_taken_in_its_own_round_then_the_median():
    rounds = [with_fractions({"healthz": row(base, 5.0), "similar": row(similar, p99, errors)})
              for base, similar, p99, errors in [(7000, 3500, 9.0, 0), (3000, 1600, 30.0, 1), (6800, 3000, 8.0, 0)]]
    combined = combine_rounds(rounds)
    similar = combined["similar"]
    # per round 0.5, 0.533, 0.441: the median is the first round's, not 3000/6800 of the medians
    assert similar["fraction_of_healthz"] == 0.5
    assert similar["req_per_s"] == 3000 and combined["healthz"]["req_per_s"] == 6800
    assert similar["p99_ms"] == 30.0 and similar["errors"] == 1
    assert [r["fraction_of_healthz"] for r in similar["rounds"]] == [0.5, 0.533, 0.441]
    printed = table({"rounds": 3, "endpoints": combined})
    assert "| `x` | 3000 | 0.3 | 30.0 | 0.50 | 0.50, 0.53, 0.44 |" in printed


def test_one_round_is_reported_as_measured():
    only = with_fractions({"healthz": row(7000, 5.0), "feed": row(2450, 12.0)})
    assert combine_rounds([only]) is only and only["feed"]["fraction_of_healthz"] == 0.35
