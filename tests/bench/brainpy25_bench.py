"""BrainPy 2.5.0 side of tests/bench: notebook 05's Fashion-MNIST rows (seed 004, "Training with
Back-propagation Algorithms"), timed in the BrainPy version the seed prints.

Runs in its own venv (.bpgo/bench-venv-2.5, tests/bench/requirements-2.5.txt); bench.py drives it. Prints
one JSON line per measurement on stdout (the fields of rnnbench's lines, plus versions); BrainPy's own
"Train ... epoch" reports go to stderr. The seed's code as the seed writes it (reference
brainpy-semantics.md §11.3), with the lines the seed text lost restored as the notebook has them:
bm.set_mode(bm.training_mode) and the default dt 0.1, float32; the data sets are the four IDX files
BrainPy's bd.vision.FashionMNIST reads (<data>/FashionMNIST/raw), loaded here with numpy (gzip + struct)
into the same `data` (uint8 (N, 28, 28)) and float64 `targets` attributes, so brainpy_datasets is not
needed; the optimizer line missing from the seed text is bp.optim.Adam(lr=1e-3).

  lstm-fmnist: ANNModel (bp.dyn.LSTMCell(28, 100) >> bp.dnn.Dense(100, 10) over the 28 rows), the seed's
               get_data (pixels/255, shuffled each epoch with the cloned RNG, batches of 256) and
               loss_fun (cross-entropy of the max over time, acc aux), bp.BPTT(loss_has_aux=True,
               Adam(1e-3)); one unit = trainer.fit(get_data(train, 256), num_epoch=1), no test pass.
  snn-fmnist:  SNNModel (LifRef(100) + Leaky(10), HalfProjAlignPost(Linear + Expon + CUBA) x 2, dt 0.1),
               the seed's current2firing_time / sparse_data_generator (latency code, 100 steps, batches
               of 256, last batch dropped, numpy shuffle) and loss_fun (CE of the max over time + spike
               regularisers on the monitored r.spike), bp.BPTT(loss_has_aux=True, Adam(1e-3),
               monitors={'r.spike': ...}); one unit = one fit(num_epoch=1). encode_s: the seconds per
               epoch spent inside the generator (building the spike batches).
  loop-fmnist: the seed's hand-written loop: loss_fun through bp.DSTrainer.predict(reset_state=True),
               bm.grad(has_aux=True, return_value=True), Adam(1e-3, train_vars), a bm.jit train(xs, ys),
               permutation(key=123) each epoch, batches of 256; one unit = 100 train() calls (epochs
               following one another), the last one's result fetched before the clock stops.
"""

import argparse
import gzip
import json
import os
import platform
import struct
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


def peak_rss_mb():
    """The process's peak resident set (VmHWM) in MiB, 0 where /proc is missing."""
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith('VmHWM:'):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def reset_peak_rss():
    try:
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')
    except OSError:
        pass


def measure(workload, units, unit, extra=None):
    """Times units+1 calls of unit() (each returns the loss): the first (compilation included) is
    first_s, the others times_s; prints the JSON line."""
    import jax
    first, times, loss, rss_first = None, [], None, 0.0
    for u in range(units + 1):
        t0 = time.perf_counter()
        loss = unit()
        d = time.perf_counter() - t0
        if u == 0:
            first = d
            rss_first = peak_rss_mb()
            reset_peak_rss()
        else:
            times.append(d)
    rec = {
        'workload': workload,
        'backend': 'brainpy (jax %s, %s)' % (jax.__version__, jax.default_backend()),
        'dtype': 'float32',
        'first_s': first,
        'times_s': times,
        'median_s': float(np.median(times)) if times else None,
        'final_loss': float(loss),
        'peak_rss_first_mb': rss_first,
        'peak_rss_mb': peak_rss_mb(),
        'versions': versions(),
        'jax_devices': len(jax.devices()),
    }
    if extra:
        rec.update(extra)
    print(json.dumps(rec), flush=True)


# ---------------------------------------------------------------------------------------------------------
# Fashion-MNIST as bd.vision.FashionMNIST(root, split=..., download=True) gives it


def read_idx(path):
    """An IDX file (plain or .gz): big-endian magic (type << 8 | ndim), ndim uint32 sizes, uint8 data."""
    opener = gzip.open if path.endswith('.gz') else open
    with opener(path, 'rb') as f:
        raw = f.read()
    magic = struct.unpack('>I', raw[:4])[0]
    ndim, typ = magic % 256, magic // 256
    if typ != 8:
        raise ValueError('%s: IDX type %d, want 8 (uint8)' % (path, typ))
    dims = struct.unpack('>' + 'I' * ndim, raw[4:4 * (ndim + 1)])
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 * (ndim + 1))
    if data.size != int(np.prod(dims)):
        raise ValueError('%s: %d bytes of data for dims %s' % (path, data.size, dims))
    return data.reshape(dims)


class FashionMNIST:
    """The data and targets attributes of bd.vision.FashionMNIST: uint8 (N, 28, 28), float64 (N,)."""

    def __init__(self, root, split, images=0):
        prefix = 'train' if split == 'train' else 't10k'
        raw = os.path.join(root, 'FashionMNIST', 'raw')

        def find(name):
            for p in (os.path.join(raw, name), os.path.join(raw, name + '.gz')):
                if os.path.exists(p):
                    return p
            raise FileNotFoundError('%s(.gz) not found (run `make testdata`, or pass --data)'
                                    % os.path.join(raw, name))

        self.data = read_idx(find('%s-images-idx3-ubyte' % prefix))
        self.targets = read_idx(find('%s-labels-idx1-ubyte' % prefix)).astype(np.float64)
        if images:
            self.data, self.targets = self.data[:images], self.targets[:images]

    def __len__(self):
        return len(self.data)


# ---------------------------------------------------------------------------------------------------------
# The seed's models and code


def setup():
    import brainpy as bp
    import brainpy.math as bm

    bm.set_mode(bm.training_mode)  # set training mode, the models will compute with the training mode
    bm.set_platform('cpu')
    return bp, bm


def ann_model(bp):
    class ANNModel(bp.DynamicalSystem):
        def __init__(self, num_in, num_rec, num_out):
            super(ANNModel, self).__init__()
            self.rec = bp.dyn.LSTMCell(num_in, num_rec)
            self.out = bp.dnn.Dense(num_rec, num_out)

        def update(self, x):
            return x >> self.rec >> self.out

    return ANNModel


def lstm(train_dataset, epochs):
    bp, bm = setup()
    ANNModel = ann_model(bp)

    def get_data(dataset, batch_size=256):
        rng = bm.random.default_rng()

        def data_generator():
            X = bm.array(dataset.data, dtype=bm.float_) / 255
            Y = bm.array(dataset.targets, dtype=bm.float_)
            key = rng.split_key()
            rng.shuffle(X, key=key)
            rng.shuffle(Y, key=key)
            for i in range(0, len(dataset), batch_size):
                yield X[i: i + batch_size], Y[i: i + batch_size]

        return data_generator

    # model
    model = ANNModel(28, 100, 10)

    # loss function
    def loss_fun(predicts, targets):
        predicts = bm.max(predicts, axis=1)
        loss = bp.losses.cross_entropy_loss(predicts, targets)
        acc = bm.mean(predicts.argmax(axis=-1) == targets)
        return loss, {'acc': acc}

    # optimizer
    optimizer = bp.optim.Adam(lr=1e-3)

    # trainer
    trainer = bp.BPTT(model,
                      loss_fun=loss_fun,
                      loss_has_aux=True,
                      optimizer=optimizer)
    train_data = get_data(train_dataset, 256)

    def unit():
        with redirect_stdout_to_stderr():
            trainer.fit(train_data=train_data, num_epoch=1)
        return trainer.get_hist_metric('fit')[-1]

    measure('lstm-fmnist', epochs, unit)


def snn(train_dataset, epochs):
    bp, bm = setup()

    class SNNModel(bp.DynamicalSystem):
        def __init__(self, num_in, num_rec, num_out):
            super(SNNModel, self).__init__()

            # parameters
            self.num_in = num_in
            self.num_rec = num_rec
            self.num_out = num_out

            # neuron groups
            self.r = bp.dyn.LifRef(num_rec, tau=10, V_reset=0, V_rest=0, V_th=1.)
            self.o = bp.dyn.Leaky(num_out, tau=5)

            # synapse: i->r
            self.i2r = bp.dyn.HalfProjAlignPost(comm=bp.dnn.Linear(num_in, num_rec, bp.init.KaimingNormal(scale=2.)),
                                                syn=bp.dyn.Expon(num_rec, tau=10.),
                                                out=bp.dyn.CUBA(),
                                                post=self.r)
            # synapse: r->o
            self.r2o = bp.dyn.HalfProjAlignPost(comm=bp.dnn.Linear(num_rec, num_out, bp.init.KaimingNormal(scale=2.)),
                                                syn=bp.dyn.Expon(num_out, tau=10.),
                                                out=bp.dyn.CUBA(),
                                                post=self.o)

        def update(self, spike):
            self.i2r(spike)
            self.r2o(self.r.spike.value)
            self.r()
            self.o()
            return self.o.x.value

    def current2firing_time(x, tau=20., thr=0.2, tmax=1.0, epsilon=1e-7):
        x = np.clip(x, thr + epsilon, 1e9)
        T = tau * np.log(x / (x - thr))
        T = np.where(x < thr, tmax, T)
        return T

    def sparse_data_generator(X, y, batch_size, nb_steps, nb_units, shuffle=True):
        labels_ = np.array(y, dtype=bm.int_)
        sample_index = np.arange(len(X))

        # compute discrete firing times
        tau_eff = 2. / bm.get_dt()
        unit_numbers = np.arange(nb_units)
        firing_times = np.array(current2firing_time(X, tau=tau_eff, tmax=nb_steps), dtype=bm.int_)

        if shuffle:
            np.random.shuffle(sample_index)

        counter = 0
        number_of_batches = len(X) // batch_size
        while counter < number_of_batches:
            batch_index = sample_index[batch_size * counter:batch_size * (counter + 1)]
            all_batch, all_times, all_units = [], [], []
            for bc, idx in enumerate(batch_index):
                c = firing_times[idx] < nb_steps
                times, units = firing_times[idx][c], unit_numbers[c]
                batch = bc * np.ones(len(times), dtype=bm.int_)
                all_batch.append(batch)
                all_times.append(times)
                all_units.append(units)
            all_batch = np.concatenate(all_batch).flatten()
            all_times = np.concatenate(all_times).flatten()
            all_units = np.concatenate(all_units).flatten()
            x_batch = bm.zeros((batch_size, nb_steps, nb_units))
            x_batch[all_batch, all_times, all_units] = 1.
            y_batch = bm.asarray(labels_[batch_index])
            yield x_batch, y_batch
            counter += 1

    def loss_fun(predicts, targets):
        predicts, mon = predicts
        # L1 loss on total number of spikes
        l1_loss = 1e-5 * bm.sum(mon['r.spike'])
        # L2 loss on spikes per neuron
        l2_loss = 1e-5 * bm.mean(bm.sum(bm.sum(mon['r.spike'], axis=0), axis=0) ** 2)
        # predictions
        predicts = bm.max(predicts, axis=1)
        loss = bp.losses.cross_entropy_loss(predicts, targets)
        acc = bm.mean(predicts.argmax(-1) == targets)
        return loss + l2_loss + l1_loss, {'acc': acc}

    model = SNNModel(num_in=28 * 28, num_rec=100, num_out=10)

    trainer = bp.BPTT(
        model,
        loss_fun=loss_fun,
        loss_has_aux=True,
        optimizer=bp.optim.Adam(lr=1e-3),
        monitors={'r.spike': model.r.spike},
    )

    x_train = bm.array(train_dataset.data, dtype=bm.float_) / 255
    y_train = bm.array(train_dataset.targets, dtype=bm.int_)

    # The seed's lambda, its generator timed: every second spent inside next() (building one batch,
    # the bm.zeros and the scatter included; the scatter is asynchronous in JAX, so part of it may
    # complete inside the training step instead) counts as encoding.
    encode = [0.0]

    def timed(gen):
        while True:
            t0 = time.perf_counter()
            try:
                b = next(gen)
            except StopIteration:
                encode[0] += time.perf_counter() - t0
                return
            encode[0] += time.perf_counter() - t0
            yield b

    train_data = lambda: timed(sparse_data_generator(x_train.reshape(x_train.shape[0], -1),
                                                     y_train,
                                                     batch_size=256,
                                                     nb_steps=100,
                                                     nb_units=28 * 28))
    encode_s = []

    def unit():
        encode[0] = 0.0
        with redirect_stdout_to_stderr():
            trainer.fit(train_data, num_epoch=1)
        encode_s.append(encode[0])
        return trainer.get_hist_metric('fit')[-1]

    measure('snn-fmnist', epochs, unit, {'encode_s': encode_s})


def loop(train_dataset, units):
    bp, bm = setup()
    ANNModel = ann_model(bp)

    # define the model
    model = ANNModel(28, 100, 10)

    # define the loss function
    def loss_fun(inputs, targets):
        runner = bp.DSTrainer(model, progress_bar=False, numpy_mon_after_run=False)
        predicts = runner.predict(inputs, reset_state=True)
        predicts = bm.max(predicts, axis=1)
        loss = bp.losses.cross_entropy_loss(predicts, targets)
        acc = bm.mean(predicts.argmax(-1) == targets)
        return loss, acc

    # define the gradient function which computes the
    # gradients of the trainable weights
    grad_fun = bm.grad(loss_fun,
                       grad_vars=model.train_vars().unique(),
                       has_aux=True,
                       return_value=True)

    # define the optimizer we need
    opt = bp.optim.Adam(lr=1e-3, train_vars=model.train_vars().unique())

    # training function

    @bm.jit
    def train(xs, ys):
        grads, loss, acc = grad_fun(xs, ys)
        opt.update(grads)
        return loss, acc

    x_train = bm.array(train_dataset.data, dtype=bm.float_) / 255
    y_train = bm.array(train_dataset.targets, dtype=bm.int_)

    num_batch = 256
    X_train = bm.asarray(x_train)
    Y_train = bm.asarray(y_train)

    def batches():
        nonlocal X_train, Y_train
        while True:  # number of epoch: as many as the timed units need
            X_train = bm.random.permutation(X_train, key=123)
            Y_train = bm.random.permutation(Y_train, key=123)
            for i in range(0, X_train.shape[0], num_batch):
                yield X_train[i: i + num_batch], Y_train[i: i + num_batch]

    data = batches()
    print_step = 100

    def unit():
        running_loss = 0
        running_acc = 0
        for _ in range(print_step):
            X, Y = next(data)
            loss_, acc_ = train(X, Y)
            running_loss += loss_
            running_acc += acc_
        loss = float(running_loss / print_step)  # waits for the last step
        print('Loss {:0.4f}, Acc {:0.4f}'.format(loss, float(running_acc / print_step)), file=sys.stderr)
        return loss

    measure('loop-fmnist', units, unit)


class redirect_stdout_to_stderr:
    """BrainPy's fit prints its "Train ... epoch" lines on stdout; only JSON goes there."""

    def __enter__(self):
        self.old = sys.stdout
        sys.stdout = sys.stderr

    def __exit__(self, *exc):
        sys.stdout = self.old


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--workload', choices=['lstm-fmnist', 'snn-fmnist', 'loop-fmnist'], required=True)
    ap.add_argument('--epochs', type=int, default=2,
                    help='timed epochs (lstm-fmnist, snn-fmnist) or units of 100 steps (loop-fmnist), after one warm-up')
    ap.add_argument('--images', type=int, default=0, help='training images used (0: all 60,000)')
    ap.add_argument('--data', default=os.environ.get('BPGO_DATA_DIR') or os.path.join('.bpgo', 'data'),
                    help='data root holding FashionMNIST/raw (default $BPGO_DATA_DIR, else .bpgo/data)')
    args = ap.parse_args()
    train_dataset = FashionMNIST(args.data, 'train', args.images)
    if args.workload == 'lstm-fmnist':
        lstm(train_dataset, args.epochs)
    elif args.workload == 'snn-fmnist':
        snn(train_dataset, args.epochs)
    else:
        loop(train_dataset, args.epochs)


if __name__ == '__main__':
    main()
