"""A Python Celery app sharing a queue with flask-tasks (crates/flask-tasks/tests/celery.rs).

    python interop.py worker   runs a real Celery worker with `tests.add` until killed
    python interop.py send     sends `tests.mul` (6, 7) and `tests.greet` (name="ann") to the
                               queue, waits for their results (a flask-tasks worker runs
                               them), and prints them
"""
import os
import sys

from celery import Celery

app = Celery("interop", broker=os.environ["BROKER"], backend=os.environ["BACKEND"])
app.conf.task_default_queue = os.environ["QUEUE"]
app.conf.broker_connection_retry_on_startup = True


@app.task(name="tests.add")
def add(x, y):
    return x + y


@app.task(name="tests.fails")
def fails():
    raise ValueError("kaboom")


if __name__ == "__main__":
    if sys.argv[1] == "worker":
        app.worker_main(
            ["worker", "--pool=solo", "--without-mingle", "--without-gossip",
             "--without-heartbeat", "-l", "warning", "-Q", os.environ["QUEUE"]]
        )
    else:
        product = app.send_task("tests.mul", args=(6, 7))
        greeting = app.send_task("tests.greet", kwargs={"name": "ann"})
        print("mul", product.get(timeout=30))
        print("greet", greeting.get(timeout=30))
        failing = app.send_task("tests.refuses")
        try:
            failing.get(timeout=30)
        except Exception as e:  # the Rust task's error, raised again here
            print("refuses", type(e).__name__, e)
