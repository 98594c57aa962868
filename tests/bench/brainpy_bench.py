"""BrainPy side of tests/bench: the same workloads as tests/bench/rnnbench (bpgo), timed in BrainPy 2.4.3.

Runs in the benchmark venv (.bpgo/bench-venv, tests/bench/requirements.txt); bench.py drives it.
Prints one JSON line per measurement on stdout (the fields of rnnbench's lines, plus versions);
BrainPy's own "Train ... epoch" reports go to stderr.

  rnn:   seed 000's "Training an artificial recurrent network" verbatim: x64,
         RNNCell(1, 100, train_state=True) >> Dense(100, 1) built in the training environment,
         loss MSE + 2e-4 * l2_norm(train_vars)**2, Adam(ExponentialDecay(0.025, 1, 0.99975), eps=0.1),
         bp.BPTT.fit over `batches` batches of build_inputs_and_targets() (128 x 25 steps) per epoch.
         One fit(num_epoch=1) call per epoch, timed from outside (as rnnbench calls Fit per epoch).
  bptt:  one BPTT training step at the e-prop scale (rnnbench -workload alif): float32,
         RNNCell(40, 100, activation='tanh') >> Dense(100, 2), bp.losses.cross_entropy_loss of the
         logits (B, T, 2) against random integer labels (B, T), Adam(lr=0.01), Bernoulli(0.05)
         inputs (B, T, 40); the step is bm.grad + optimizer update under bm.cls_jit, written like
         the seed's SNN Trainer (reset, bm.for_loop over step_run, loss).
"""

import argparse
import contextlib
import json
import os
import platform
import sys
import time

import numpy as np


def versions():
    import brainpy
    import jax
    import jaxlib
    return {
        'brainpy': brainpy.__version__,
        'jax': jax.__version__,
        'jaxlib': jaxlib.__version__,
        'numpy': np.__version__,
        'python': platform.python_version(),
    }


def emit(workload, dtype, first, times, loss, extra=None):
    import jax
    rec = {
        'workload': workload,
        'backend': 'brainpy (jax %s, %s)' % (jax.__version__, jax.default_backend()),
        'dtype': dtype,
        'first_s': first,
        'times_s': times,
        'median_s': float(np.median(times)) if times else None,
        'final_loss': float(loss),
        'versions': versions(),
        'jax_devices': len(jax.devices()),
    }
    if extra:
        rec.update(extra)
    print(json.dumps(rec), flush=True)


def rnn(epochs, batches, num_batch):
    import brainpy as bp
    import brainpy.math as bm

    bm.enable_x64()
    bm.set_platform('cpu')
    bm.random.seed(42)

    dt = 0.04
    num_step = int(1.0 / dt)

    @bm.jit
    def build_inputs_and_targets(mean=0.025, scale=0.01):
        # Create the white noise input
        sample = bm.random.normal(size=(num_batch, 1, 1))
        bias = mean * 2.0 * (sample - 0.5)
        samples = bm.random.normal(size=(num_batch, num_step, 1))
        noise_t = scale / dt ** 0.5 * samples
        inputs = bias + noise_t
        targets = bm.cumsum(inputs, axis=1)
        return inputs, targets

    def train_data():
        for _ in range(batches):
            yield build_inputs_and_targets()

    class RNN(bp.DynamicalSystem):
        def __init__(self, num_in, num_hidden):
            super(RNN, self).__init__()
            self.rnn = bp.dnn.RNNCell(num_in, num_hidden, train_state=True)
            self.out = bp.dnn.Dense(num_hidden, 1)

        def update(self, x):
            return self.out(self.rnn(x))

    with bm.training_environment():
        model = RNN(1, 100)

    def loss(predictions, targets, l2_reg=2e-4):
        mse = bp.losses.mean_squared_error(predictions, targets)
        l2 = l2_reg * bp.losses.l2_norm(model.train_vars().unique().dict()) ** 2
        return mse + l2

    lr = bp.optim.ExponentialDecay(lr=0.025, decay_steps=1, decay_rate=0.99975)
    opt = bp.optim.Adam(lr=lr, eps=1e-1)
    trainer = bp.BPTT(model, loss_fun=loss, optimizer=opt)

    first, times = None, []
    for e in range(epochs + 1):
        t0 = time.perf_counter()
        with contextlib.redirect_stdout(sys.stderr):
            trainer.fit(train_data, num_epoch=1)  # blocks: the epoch's mean loss is reported
        d = time.perf_counter() - t0
        if e == 0:
            first = d
        else:
            times.append(d)
    final = trainer.get_hist_metric(metric='loss')[-1]
    emit('rnn', 'float64', first, times, final)


def bptt(steps, T, B):
    import brainpy as bp
    import brainpy.math as bm

    bm.disable_x64()
    bm.set_platform('cpu')
    bm.random.seed(7)

    class LongNet(bp.DynamicalSystem):
        def __init__(self):
            super().__init__()
            self.rnn = bp.dnn.RNNCell(40, 100, activation='tanh')
            self.out = bp.dnn.Dense(100, 2)

        def update(self, x):
            return self.out(self.rnn(x))

    with bm.training_environment():
        net = LongNet()

    x = bm.asarray(bm.random.rand(B, T, 40) < 0.05, dtype=bm.float_)  # (B, T, 40), Bernoulli(0.05)
    y = bm.random.randint(0, 2, (B, T), dtype=bm.int32)  # class index per (batch, time)
    indices = bm.arange(T)

    class Trainer:
        def __init__(self, net, opt):
            self.net = net
            self.opt = opt
            opt.register_train_vars(net.train_vars().unique())
            self.f_grad = bm.grad(self.f_loss, grad_vars=self.opt.vars_to_train, return_value=True)

        def f_loss(self, xs, ys):
            self.net.reset(xs.shape[0])
            outs = bm.for_loop(self.net.step_run, (indices, bm.moveaxis(xs, 0, 1)))  # (T, B, 2)
            return bp.losses.cross_entropy_loss(bm.moveaxis(outs, 0, 1), ys)

        @bm.cls_jit
        def f_train(self, xs, ys):
            grads, loss = self.f_grad(xs, ys)
            self.opt.update(grads)
            return loss

    # Size the state for this batch before tracing: the net is built with batch 1, and a reset(B) seen
    # only inside the jitted step would change the state's shape after the first call and make the
    # second call compile again.
    net.reset(B)
    trainer = Trainer(net, bp.optim.Adam(lr=0.01))
    first, times, loss = None, [], None
    for s in range(steps + 1):
        t0 = time.perf_counter()
        loss = float(trainer.f_train(x, y))  # float() waits for the result
        d = time.perf_counter() - t0
        if s == 0:
            first = d
        else:
            times.append(d)
    emit('bptt-T%d' % T, 'float32', first, times, loss)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--workload', choices=['rnn', 'bptt'], required=True)
    ap.add_argument('--epochs', type=int, default=4, help='timed epochs (rnn) or steps (bptt), after one warm-up')
    ap.add_argument('--batches', type=int, default=100, help='batches per epoch (rnn)')
    ap.add_argument('--T', type=int, default=2250, help='sequence length (bptt)')
    ap.add_argument('--batch', type=int, default=128, help='batch size')
    args = ap.parse_args()
    if args.workload == 'rnn':
        rnn(args.epochs, args.batches, args.batch)
    else:
        bptt(args.epochs, args.T, args.batch)


if __name__ == '__main__':
    main()
