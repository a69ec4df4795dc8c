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


def test_the_limits_hold_in_a_forked_worker(empty_app):
    """gunicorn's preload_app builds the app in the master and forks the workers from it: the
    limits set in create_app hold in the child, after a BLAS call in the parent and in the child."""
    import os

    import numpy as np

    matrix = np.ones((200, 200))
    matrix @ matrix
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child reports and leaves without running the parent's exit handlers
        try:
            matrix @ matrix
            counts = {pool["num_threads"] for pool in threadpoolctl.threadpool_info()}
            os.write(write, repr(sorted(counts)).encode())
        finally:
            os._exit(0)
    os.close(write)
    reported = os.read(read, 1000).decode()
    os.close(read)
    os.waitpid(pid, 0)
    assert reported == repr([empty_app.config["NATIVE_THREADS"]])
