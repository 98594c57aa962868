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
  snn:   seed 000's "Training a spiking neural network" as the seed writes it (rnnbench -workload snn):
         x64, bm.set_dt(1.), SNN(100, 10, 2) = Linear(KaimingNormal(scale=20)) + Expon(tau=10) ->
         Lif(10, tau=10, V_reset=0, V_rest=0, V_th=1) -> Linear + Expon -> Integrator(2, tau=5), built in
         the training environment; 100 steps x 256 samples x 100 inputs of 10 Hz spikes (time-first),
         float labels rand < 0.5; the seed's Trainer (bm.grad + Adam(4e-3) under bm.cls_jit, loss =
         cross-entropy of the max over time). One timed unit = 100 training steps.
  eprop: seed 002's EligSNN (eprop=False) as the seed writes it (rnnbench -workload eprop):
         bm.set_environment(training_mode, dt=1.), float32, 40 -> 100 ALIFBellec2020 (half adaptive,
         r2r recurrence through the previous step's spikes) -> Dense(100, 2) -> Leaky(2); one batch
         of the seed's click task (its generate_click_task_data, seq_len T, np seed 3) when T >= 1200,
         else T steps of Bernoulli(0.04) inputs with a random integer label per sample; loss = the seed's loss_fun
         (cross-entropy of out[:, -150:] against the tiled label + firing-rate regulariser on the
         monitored r.spike); one step = bm.grad + Adam(0.01) under bm.cls_jit, with r.spike
         monitored in the scan as bp.BPTT(monitors={'r.spike': net.r.spike}) does.
  esn-ridge, esn-rls: notebook 02's echo state network (seed 001's bp.nn 2.1.12 ESN) in 2.4.3's API
         (rnnbench -workload esn-ridge / esn-rls): x64, a bp.DynamicalSystem of bp.layers.Reservoir(3, 400,
         spectral_radius=1.4) (2.4.3 has no bp.dyn.Reservoir; bp.layers = bp.dnn) and a trainable
         bp.layers.Dense(400, 3) readout in place of 2.1.12's bp.nn.LinearReadout, built in batching mode;
         brainpy_datasets.chaos.LorenzEq(100, dt=0.01), one-step-ahead targets, an untimed 2000-step
         warm-up predict, then one timed unit = one fit: bp.RidgeTrainer(alpha=1e-6) on 6000 steps (2.1.12:
         bp.nn.RidgeTrainer(beta=1e-6), same normal equations) or bp.OnlineTrainer(fit_method=RLS(alpha=1.))
         (FORCE, = bp.ForceTrainer(alpha=1.)) on 1000 steps; every unit fits the same window again.
  eirnn: seed 003's E/I RNN verbatim (rnnbench -workload eirnn): float32, bd.cognitive.
         RatePerceptualDecisionMaking(dt=20.) through TaskLoader(batch_size=16), the seed's RNN class
         (50 hidden, 40 E / 10 I, sigma_rec 0.15, one noise vector per step), bm.grad + Adam(1e-3) under
         bm.jit; one timed unit = one epoch of the seed's loop (64 batches of 16 x 110 steps, data
         generation included).
"""

import argparse
import contextlib
import json
import os
import platform
import resource
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
        'peak_rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,  # KiB on Linux
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


def snn(epochs):
    import brainpy as bp
    import brainpy.math as bm

    bm.enable_x64()
    bm.set_platform('cpu')
    bm.random.seed(1)
    dt0 = bm.get_dt()

    # --- seed 000, "Training a spiking neural network" ---
    bm.set_dt(1.)

    class SNN(bp.DynamicalSystem):
        def __init__(self, num_in, num_rec, num_out):
            super().__init__()

            # parameters
            self.num_in = num_in
            self.num_rec = num_rec
            self.num_out = num_out

            # neuron groups
            self.r = bp.dyn.Lif(num_rec, tau=10., V_reset=0., V_rest=0., V_th=1.)
            self.o = bp.dyn.Integrator(num_out, tau=5.)

            # synapse: i->r
            self.i2r = bp.Sequential(
                comm=bp.dnn.Linear(num_in, num_rec, W_initializer=bp.init.KaimingNormal(scale=20.)),
                syn=bp.dyn.Expon(num_rec, tau=10.),
            )

            # synapse: r->o
            self.r2o = bp.Sequential(
                comm=bp.dnn.Linear(num_rec, num_out, W_initializer=bp.init.KaimingNormal(scale=20.)),
                syn=bp.dyn.Expon(num_out, tau=10.),
            )

        def update(self, spike):
            return spike >> self.i2r >> self.r >> self.r2o >> self.o

    num_in = 100
    num_rec = 10
    with bm.training_environment():
        net = SNN(num_in, num_rec, 2)  # out task is a two label classification task

    num_step = 100
    num_sample = 256
    freq = 10  # Hz
    mask = bm.random.rand(num_step, num_sample, num_in)
    x_data = bm.zeros((num_step, num_sample, num_in))
    x_data[mask < freq * bm.get_dt() / 1000.] = 1.0
    y_data = bm.asarray(bm.random.rand(num_sample) < 0.5, dtype=bm.float_)
    indices = bm.arange(num_step)

    class Trainer:
        def __init__(self, net, opt):
            self.net = net
            self.opt = opt
            opt.register_train_vars(net.train_vars().unique())
            self.f_grad = bm.grad(self.f_loss, grad_vars=self.opt.vars_to_train, return_value=True)

        def f_loss(self):
            self.net.reset(num_sample)
            outs = bm.for_loop(self.net.step_run, (indices, x_data))
            return bp.losses.cross_entropy_loss(bm.max(outs, axis=0), y_data)

        @bm.cls_jit
        def f_train(self):
            grads, loss = self.f_grad()
            self.opt.update(grads)
            return loss
    # --- end of the seed's code ---

    net.reset(num_sample)  # state sized before tracing (see bptt): one compilation, in the first unit
    trainer = Trainer(net=net, opt=bp.optim.Adam(lr=4e-3))
    first, times, l = None, [], None
    for e in range(epochs + 1):
        t0 = time.perf_counter()
        for i in range(100):
            l = trainer.f_train()
        l = float(l)  # waits for the last step
        d = time.perf_counter() - t0
        print(f'Train {100 * (e + 1)} steps, loss {l}', file=sys.stderr, flush=True)
        if e == 0:
            first = d
        else:
            times.append(d)
    bm.set_dt(dt0)
    emit('snn', 'float64', first, times, l)


# seed 002's data generator, as the seed writes it.
def generate_click_task_data(batch_size, seq_len, n_neuron, recall_duration, prob, f0=0.5,
                             n_cues=7, t_cue=100, t_interval=150, n_input_symbols=4):
  n_channel = n_neuron // n_input_symbols

  # assign input spike probabilities
  probs = np.where(np.random.random((batch_size, 1)) < 0.5, prob, 1 - prob)

  # for each example in batch, draw which cues are going to be active (left or right)
  cue_assignments = np.asarray(np.random.random(n_cues) > probs, dtype=np.int_)

  # generate input nums - 0: left, 1: right, 2:recall, 3:background noise
  input_nums = 3 * np.ones((batch_size, seq_len), dtype=np.int_)
  input_nums[:, :n_cues] = cue_assignments
  input_nums[:, -1] = 2

  # generate input spikes
  input_spike_prob = np.zeros((batch_size, seq_len, n_neuron))
  d_silence = t_interval - t_cue
  for b in range(batch_size):
    for k in range(n_cues):
      # input channels only fire when they are selected (left or right)
      c = cue_assignments[b, k]
      # reverse order of cues
      i_seq = d_silence + k * t_interval
      i_neu = c * n_channel
      input_spike_prob[b, i_seq:i_seq + t_cue, i_neu:i_neu + n_channel] = f0
  # recall cue
  input_spike_prob[:, -recall_duration:, 2 * n_channel:3 * n_channel] = f0
  # background noise
  input_spike_prob[:, :, 3 * n_channel:] = f0 / 4.
  input_spikes = input_spike_prob > np.random.rand(*input_spike_prob.shape)

  # generate targets
  target_mask = np.zeros((batch_size, seq_len), dtype=np.bool_)
  target_mask[:, -1] = True
  target_nums = (np.sum(cue_assignments, axis=1) > n_cues / 2).astype(np.int_)
  return input_spikes, input_nums, target_nums, target_mask


def eprop(steps, T, B):
    import brainpy as bp
    import brainpy.math as bm
    from jax.lax import stop_gradient  # seed 002's import

    bm.disable_x64()
    bm.set_platform('cpu')
    bm.random.seed(3)
    dt0 = bm.get_dt()

    # --- seed 002, "(Bellec, et. al, 2020): eprop for Evidence Accumulation Task" ---
    bm.set_environment(bm.training_mode, dt=1.)

    # neuron model and simulation parameters
    reg_f = 1.  # regularization coefficient for firing rate
    reg_rate = 10  # target firing rate for regularization [Hz]

    # Experiment parameters
    t_cue_spacing = 150  # distance between two consecutive cues in ms

    # Frequencies
    input_f0 = 40. / 1000.  # poisson firing rate of input neurons in khz
    regularization_f0 = reg_rate / 1000.  # mean target network firing frequency

    class EligSNN(bp.DynSysGroup):
        def __init__(self, num_in, num_rec, num_out, eprop=True, tau_a=2e3, tau_v=2e1):
            super(EligSNN, self).__init__()

            # parameters
            self.num_in = num_in
            self.num_rec = num_rec
            self.num_out = num_out
            self.eprop = eprop

            # neurons
            self.o = bp.dyn.Leaky(num_out, tau=20)

            n_regular = int(num_rec / 2)
            n_adaptive = num_rec - n_regular
            beta1 = bm.exp(- bm.get_dt() / tau_a)
            beta2 = 1.7 * (1 - beta1) / (1 - bm.exp(-1 / tau_v))
            beta = bm.concatenate([bm.ones(n_regular), bm.ones(n_adaptive) * beta2])
            self.r = bp.neurons.ALIFBellec2020(
                num_rec,
                V_rest=0.,
                tau_ref=5.,
                V_th=0.6,
                tau_a=tau_a,
                tau=tau_v,
                beta=beta,
                V_initializer=bp.init.ZeroInit(),
                a_initializer=bp.init.ZeroInit(),
                eprop=eprop,
                input_var=False,
            )

            # synapses
            self.i2r = bp.layers.Dense(num_in, num_rec,
                                       W_initializer=bp.init.KaimingNormal(),
                                       b_initializer=None)
            self.i2r.W *= tau_v
            self.r2r = bp.layers.Dense(num_rec, num_rec,
                                       W_initializer=bp.init.KaimingNormal(),
                                       b_initializer=None)
            self.r2r.W *= tau_v
            self.r2o = bp.layers.Dense(num_rec, num_out,
                                       W_initializer=bp.init.KaimingNormal(),
                                       b_initializer=None)

        def update(self, x):
            z = stop_gradient(self.r.spike.value) if self.eprop else self.r.spike.value
            return self.o(self.r2o(self.r(self.r2r(z) + self.i2r(x))))

    net = EligSNN(num_in=40, num_rec=100, num_out=2, eprop=False)

    def loss_fun(predicts, targets):
        predicts, mon = predicts

        # we only use network output at the end for classification
        output_logits = predicts[:, -t_cue_spacing:]

        # Define the accuracy
        y_predict = bm.argmax(bm.mean(output_logits, axis=1), axis=1)
        accuracy = bm.equal(targets, y_predict).astype(bm.dftype()).mean()

        # loss function
        tiled_targets = bm.tile(bm.expand_dims(targets, 1), (1, t_cue_spacing))
        loss_cls = bm.mean(bp.losses.cross_entropy_loss(output_logits, tiled_targets))

        # Firing rate regularization:
        av = bm.mean(mon['r.spike'], axis=(0, 1)) / bm.get_dt()
        loss_reg_f = bm.sum(bm.square(av - regularization_f0) * reg_f)

        # Aggregate the losses #
        loss = loss_reg_f + loss_cls
        loss_res = {'loss': loss, 'loss reg': loss_reg_f, 'accuracy': accuracy}
        return bm.as_jax(loss), loss_res
    # --- end of the seed's code ---

    # Data as rnnbench makes it: one batch of the seed's click task when T holds its cues and recall period
    # (T >= 1200; the seed's T is 2250), else Bernoulli(input_f0) spikes with a random label per sample.
    if T >= 1200:
        np.random.seed(3)
        spk, _, tgt, _ = generate_click_task_data(batch_size=B, seq_len=T, n_neuron=40, recall_duration=150,
                                                  prob=0.3, t_cue=100, n_cues=7, t_interval=t_cue_spacing,
                                                  f0=input_f0, n_input_symbols=4)
        x = bm.asarray(spk, dtype=bm.float_)
        y = bm.asarray(tgt, dtype=bm.int32)
    else:
        x = bm.asarray(bm.random.rand(B, T, 40) < input_f0, dtype=bm.float_)
        y = bm.random.randint(0, 2, (B,), dtype=bm.int32)
    indices = bm.arange(T)

    # One BPTT step as bp.BPTT(net, loss_fun, loss_has_aux=True, optimizer=Adam(0.01),
    # monitors={'r.spike': net.r.spike}) runs it, written like seed 000's hand-written Trainer.
    class Trainer:
        def __init__(self, net, opt):
            self.net = net
            self.opt = opt
            opt.register_train_vars(net.train_vars().unique())
            self.f_grad = bm.grad(self.f_loss, grad_vars=self.opt.vars_to_train, has_aux=True,
                                  return_value=True)

        def _step(self, i, x):
            out = self.net.step_run(i, x)
            return out, self.net.r.spike.value  # the monitor, read after the step

        def f_loss(self, xs, ys):
            self.net.reset(xs.shape[0])
            outs, spikes = bm.for_loop(self._step, (indices, bm.moveaxis(xs, 0, 1)))  # time-first
            preds = (bm.moveaxis(outs, 0, 1), {'r.spike': bm.moveaxis(spikes, 0, 1)})
            return loss_fun(preds, ys)

        @bm.cls_jit
        def f_train(self, xs, ys):
            grads, loss, aux = self.f_grad(xs, ys)
            self.opt.update(grads)
            return loss, aux

    net.reset(B)  # state sized before tracing (see bptt)
    trainer = Trainer(net, bp.optim.Adam(lr=0.01))
    first, times, loss = None, [], None
    for s in range(steps + 1):
        t0 = time.perf_counter()
        loss, aux = trainer.f_train(x, y)
        loss = float(loss)  # waits for the result
        d = time.perf_counter() - t0
        print('Train %d steps, loss %s, accuracy %s, loss reg %s'
              % (s + 1, loss, float(aux['accuracy']), float(aux['loss reg'])), file=sys.stderr, flush=True)
        if s == 0:
            first = d
        else:
            times.append(d)
    bm.set_environment(bm.nonbatching_mode, dt=dt0)
    emit('eprop-alif-T%d' % T, 'float32', first, times, loss)


def esn(part, units):
    import brainpy as bp
    import brainpy.math as bm
    import brainpy_datasets as bd
    import jax

    bm.enable_x64()
    bm.set_platform('cpu')
    bm.random.seed(1)

    # Lorenz at dt 0.01 over 100 time units (10000 points), (1, T, 3) windows as notebook 02's get_subset.
    data = bd.chaos.LorenzEq(100, dt=0.01)

    def get_subset(start, end):
        return bm.hstack([data.xs[start:end], data.ys[start:end], data.zs[start:end]]).reshape((1, -1, 3))

    # Seed 001's ESN (bp.nn 2.1.12: Input(3) >> Reservoir(400, spectral_radius=1.4) >> LinearReadout(3))
    # in 2.4.3's API: bp.layers.Reservoir (2.4.3 has no bp.dyn.Reservoir) followed by a trainable
    # bp.layers.Dense readout, built in batching mode as DSTrainers require.
    class ESN(bp.DynamicalSystem):
        def __init__(self, num_in, num_hidden, num_out):
            super().__init__()
            self.r = bp.layers.Reservoir(num_in, num_hidden, spectral_radius=1.4)
            self.o = bp.layers.Dense(num_hidden, num_out, mode=bm.training_mode)

        def update(self, x):
            return self.o(self.r(x))

    with bm.environment(mode=bm.batching_mode):
        model = ESN(3, 400, 3)

    warm, n = 2000, (6000 if part == 'ridge' else 1000)
    x, y = get_subset(warm, warm + n), get_subset(warm + 1, warm + n + 1)
    if part == 'ridge':
        trainer = bp.RidgeTrainer(model, alpha=1e-6, progress_bar=False)
    else:
        # notebook 02's FORCE trainer: OnlineTrainer with RLS(alpha=1) (= bp.ForceTrainer(model, alpha=1.))
        trainer = bp.OnlineTrainer(model, fit_method=bp.algorithms.RLS(alpha=1.), progress_bar=False)
    trainer.predict(get_subset(0, warm))  # warm-up, untimed

    first, times, loss = None, [], None
    for u in range(units + 1):
        t0 = time.perf_counter()
        out = trainer.fit([x, y])
        jax.block_until_ready((out, model.o.W.value, model.o.b.value))
        d = time.perf_counter() - t0
        loss = float(bm.mean(bm.square(out - y)))  # outputs of the fit's forward pass
        print('fit %d: mse %s' % (u + 1, loss), file=sys.stderr, flush=True)
        if u == 0:
            first = d
        else:
            times.append(d)
    emit('esn-' + part, 'float64', first, times, loss)


def eirnn(epochs):
    import brainpy as bp
    import brainpy.math as bm
    import brainpy_datasets as bd

    bm.disable_x64()
    bm.set_platform('cpu')
    bm.random.seed(2016)

    # --- seed 003, "(Song, et al., 2016): Training excitatory-inhibitory recurrent network" ---
    dataset = bd.cognitive.RatePerceptualDecisionMaking(dt=20.)
    task = bd.cognitive.TaskLoader(dataset, batch_size=16)

    class RNN(bp.DynamicalSystem):
        def __init__(self, num_input, num_hidden, num_output, num_batch,
                     dt=None, e_ratio=0.8, sigma_rec=0., seed=None,
                     w_ir=bp.init.KaimingUniform(scale=1.),
                     w_rr=bp.init.KaimingUniform(scale=1.),
                     w_ro=bp.init.KaimingUniform(scale=1.)):
            super().__init__()

            # parameters
            self.tau = 100
            self.num_batch = num_batch
            self.num_input = num_input
            self.num_hidden = num_hidden
            self.num_output = num_output
            self.e_size = int(num_hidden * e_ratio)
            self.i_size = num_hidden - self.e_size
            if dt is None:
                self.alpha = 1
            else:
                self.alpha = dt / self.tau
            self.sigma_rec = (2 * self.alpha) ** 0.5 * sigma_rec  # Recurrent noise
            self.rng = bm.random.RandomState(seed=seed)

            # hidden mask
            mask = np.tile([1] * self.e_size + [-1] * self.i_size, (num_hidden, 1))
            np.fill_diagonal(mask, 0)
            self.mask = bm.asarray(mask, dtype=bm.float_)

            # input weight
            self.w_ir = bm.TrainVar(bp.init.parameter(w_ir, (num_input, num_hidden)))

            # recurrent weight
            bound = 1 / num_hidden ** 0.5
            self.w_rr = bm.TrainVar(bp.init.parameter(w_rr, (num_hidden, num_hidden)))
            self.w_rr[:, :self.e_size] /= (self.e_size / self.i_size)
            self.b_rr = bm.TrainVar(self.rng.uniform(-bound, bound, num_hidden))

            # readout weight
            bound = 1 / self.e_size ** 0.5
            self.w_ro = bm.TrainVar(bp.init.parameter(w_ro, (self.e_size, num_output)))
            self.b_ro = bm.TrainVar(self.rng.uniform(-bound, bound, num_output))

            self.reset_state(self.mode)

        def reset_state(self, batch_size):
            # variables
            self.h = bp.init.variable_(bm.zeros, self.num_hidden, batch_size)
            self.o = bp.init.variable_(bm.zeros, self.num_output, batch_size)

        def cell(self, x, h):
            ins = x @ self.w_ir + h @ (bm.abs(self.w_rr) * self.mask) + self.b_rr
            state = h * (1 - self.alpha) + ins * self.alpha
            state += self.sigma_rec * self.rng.randn(self.num_hidden)
            return bm.relu(state)

        def readout(self, h):
            return h @ self.w_ro + self.b_ro

        def update(self, x):
            self.h.value = self.cell(x, self.h)
            self.o.value = self.readout(self.h[:, :self.e_size])
            return self.h.value, self.o.value

        @bm.cls_jit
        def predict(self, xs):
            self.h[:] = 0.
            return bm.for_loop(self.update, xs)

        def loss(self, xs, ys):
            hs, os = self.predict(xs)
            os = os.reshape((-1, os.shape[-1]))
            return bp.losses.cross_entropy_loss(os, ys.flatten())

    hidden_size = 50
    with bm.environment(mode=bm.TrainingMode(batch_size=16)):
        net = RNN(num_input=dataset.num_inputs,
                  num_hidden=hidden_size,
                  num_output=dataset.num_outputs,
                  num_batch=task.batch_size,
                  dt=dataset.dt,
                  sigma_rec=0.15)

    opt = bp.optim.Adam(lr=0.001, train_vars=net.train_vars().unique())
    grad_f = bm.grad(net.loss,
                     grad_vars=net.train_vars().unique(),
                     return_value=True)

    @bm.jit
    def train(xs, ys):
        grads, loss = grad_f(xs, ys)
        opt.update(grads)
        return loss
    # --- end of the seed's model; its epoch loop, timed: ---

    first, times, loss = None, [], None
    for i_batch in range(epochs + 1):
        t0 = time.perf_counter()
        running_loss = []
        for inputs, labels in task:
            loss = train(inputs, labels)
            running_loss.append(loss)
        loss = float(np.mean(running_loss))  # waits for the last step
        d = time.perf_counter() - t0
        print(f'Batch {i_batch}, Loss {loss:0.4f}', file=sys.stderr, flush=True)
        if i_batch == 0:
            first = d
        else:
            times.append(d)
    emit('eirnn', 'float32', first, times, loss)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--workload', choices=['rnn', 'bptt', 'snn', 'eprop', 'esn-ridge', 'esn-rls', 'eirnn'], required=True)
    ap.add_argument('--epochs', type=int, default=4,
                    help='timed epochs (rnn, eirnn), steps (bptt, eprop), units of 100 steps (snn) or fits (esn-*), '
                         'after one warm-up')
    ap.add_argument('--batches', type=int, default=100, help='batches per epoch (rnn)')
    ap.add_argument('--T', type=int, default=2250, help='sequence length (bptt, eprop)')
    ap.add_argument('--batch', type=int, default=128, help='batch size')
    args = ap.parse_args()
    if args.workload == 'rnn':
        rnn(args.epochs, args.batches, args.batch)
    elif args.workload == 'bptt':
        bptt(args.epochs, args.T, args.batch)
    elif args.workload == 'snn':
        snn(args.epochs)
    elif args.workload == 'eprop':
        eprop(args.epochs, args.T, args.batch)
    elif args.workload.startswith('esn-'):
        esn(args.workload[len('esn-'):], args.epochs)
    else:
        eirnn(args.epochs)


if __name__ == '__main__':
    main()
