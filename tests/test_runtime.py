"""The app owns its runtime: native thread pools limited where it is created, and a warm-up any
server can run (webapp/runtime.py)."""
import threadpoolctl

from webapp import runtime


def test_creating_the_app_limits_every_native_thread_pool(empty_app):
    pools = threadpoolctl.threadpool_info()
    assert pools and all(pool["num_threads"] == empty_app.config["NATIVE_THREADS"] for pool in pools), pools


def test_warm_up_loads_the_index_and_the_title_index(indexed_app):
    runtime.warm_up(indexed_app)
    assert indexed_app.extensions["index_holder"].current() is not None


def test_warm_up_without_an_index_does_not_raise(app):
    runtime.warm_up(app)
    assert app.extensions["index_holder"].current() is None
