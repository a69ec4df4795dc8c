"""Every benchmark figure in one run (`make bench`): HTTP serving under gunicorn's production
settings (bench/serving.py, 3 interleaved rounds), the in-process latencies (bench/latency.py) and, with
--with-rebuild, the rebuild timings (bench/rebuild.py); --with-bare compares a plain
`gunicorn -w 3 wsgi:app` with `make serve` (bench/configs.py --bare), --with-rebuild-under-load
measures p99 through a rebuild and swap (bench/rebuild.py --under-load). Each writes its JSON to bench/results/;
the serving table is also written as markdown to bench/results/serving.md, ready for the README.

    make bench                                   # = .venv/bin/python -m bench.run_all
    .venv/bin/python -m bench.run_all --seconds 10 --with-rebuild
"""
import argparse
import os
import shlex
import sys
from contextlib import contextmanager

from . import configs, latency, rebuild, serving
from .common import RESULTS


@contextmanager
def argv(*args: str):
    """Run another benchmark's main() with its own command line."""
    saved = sys.argv
    sys.argv = [saved[0], *args]
    try:
        yield
    finally:
        sys.argv = saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    serving.add_arguments(parser)
    parser.set_defaults(rounds=3)  # the README's table: medians of 3 interleaved rounds
    parser.add_argument("--calls", type=int, default=1000, help="in-process latency calls per question")
    parser.add_argument("--with-rebuild", action="store_true", help="also time full and no-change rebuilds")
    parser.add_argument("--runs", type=int, default=1, help="rebuild runs (with --with-rebuild)")
    parser.add_argument("--with-bare", action="store_true",
                        help="also `gunicorn -w 3 wsgi:app` against `make serve` (bench.configs --bare)")
    parser.add_argument("--with-rebuild-under-load", action="store_true",
                        help="also p99 of feed and similar through a rebuild (bench.rebuild --under-load)")
    args = parser.parse_args()
    command = "make bench" if not sys.argv[1:] else f".venv/bin/python -m bench.run_all {shlex.join(sys.argv[1:])}"

    print("== HTTP serving (gunicorn as `make serve` runs it, gunicorn.conf.py) ==", flush=True)
    result = serving.run(args)
    markdown = "\n".join([serving.table(result), "", serving.memory_lines(result), "", *serving.probe_lines(result),
                          f"{result['connections']} connections, {result['seconds']:g} s per endpoint and round, "
                          f"{result['rounds']} rounds (req/s, p50, fraction: medians; p99: worst round), "
                          f"load generator {result['load_generator']}; server `{result['command']}`.",
                          f"Measured with `{command}` on {os.cpu_count()} CPUs.", ""])
    if not args.only:  # the README's table has every endpoint
        (RESULTS / "serving.md").write_text(markdown)

    print("\n== In-process latency (bench.latency) ==", flush=True)
    with argv("--calls", str(args.calls)):
        latency.main()
    if args.with_rebuild:
        print("\n== Rebuild (bench.rebuild) ==", flush=True)
        with argv("--runs", str(args.runs)):
            rebuild.main()
    if args.with_bare:
        print("\n== gunicorn -w 3 wsgi:app against make serve (bench.configs --bare) ==", flush=True)
        with argv("--bare", "--seconds", "10", "--rounds", "3"):
            configs.main()
    if args.with_rebuild_under_load:
        print("\n== Rebuild under load (bench.rebuild --under-load) ==", flush=True)
        with argv("--under-load"):
            rebuild.main()
    print(f"\nREADME table: {RESULTS / 'serving.md'}")


if __name__ == "__main__":
    main()
