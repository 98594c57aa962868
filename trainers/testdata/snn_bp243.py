"""Reference numbers for trainers/snn_quickstart_brainpy_test.go, from BrainPy 2.4.3 (jax/jaxlib 0.4.18).

The spiking network of BrainPy 2.4.3's quickstart "Training a Brain Dynamics Model" (seed 000),
exactly as the tutorial builds it (x64, dt = 1, Lif(10) and Integrator(2) joined by
Sequential(Linear, Expon) synapses with KaimingNormal(scale=20) weights), on a small batch of the
tutorial's data (16 samples of 100 steps, 100 inputs spiking at 10 Hz, time-first), trained with the
tutorial's hand-written loop: bm.grad of the cross-entropy of the maximum over time, Adam(4e-3)
whose bias correction stays at epoch 0. Readout traces sit at exactly 0 until the first hidden
spike, so the maximum over time of a readout that then goes negative is a tie over the leading
steps, whose gradient JAX splits equally among them.

Run: python snn_bp243.py snn_bp243.json
"""
import json
import sys

import numpy as np
import brainpy as bp
import brainpy.math as bm

bm.enable_x64()
bm.set_platform('cpu')
bm.set_dt(1.)
NUM_IN, NUM_REC, NUM_STEP, NUM_SAMPLE, FREQ, NUM_TRAIN = 100, 10, 100, 16, 10, 3


class SNN(bp.DynamicalSystem):
  def __init__(self, num_in, num_rec, num_out):
    super().__init__()
    self.r = bp.dyn.Lif(num_rec, tau=10., V_reset=0., V_rest=0., V_th=1.)
    self.o = bp.dyn.Integrator(num_out, tau=5.)
    self.i2r = bp.Sequential(comm=bp.dnn.Linear(num_in, num_rec, W_initializer=bp.init.KaimingNormal(scale=20.)),
                             syn=bp.dyn.Expon(num_rec, tau=10.))
    self.r2o = bp.Sequential(comm=bp.dnn.Linear(num_rec, num_out, W_initializer=bp.init.KaimingNormal(scale=20.)),
                             syn=bp.dyn.Expon(num_out, tau=10.))

  def update(self, spike):
    return spike >> self.i2r >> self.r >> self.r2o >> self.o


bm.random.seed(2)  # a draw whose batch has 17 of 32 maxima tied
with bm.training_environment():
  net = SNN(NUM_IN, NUM_REC, 2)

mask = bm.random.rand(NUM_STEP, NUM_SAMPLE, NUM_IN)
x_data = bm.zeros((NUM_STEP, NUM_SAMPLE, NUM_IN))
x_data[mask < FREQ * bm.get_dt() / 1000.] = 1.0
y_data = bm.asarray(bm.random.rand(NUM_SAMPLE) < 0.5, dtype=bm.float_)
indices = bm.arange(NUM_STEP)


class Trainer:
  def __init__(self, net, opt):
    self.net = net
    self.opt = opt
    opt.register_train_vars(net.train_vars().unique())
    self.f_grad = bm.grad(self.f_loss, grad_vars=self.opt.vars_to_train, return_value=True)

  def f_loss(self):
    self.net.reset(NUM_SAMPLE)
    outs = bm.for_loop(self.net.step_run, (indices, x_data))
    return bp.losses.cross_entropy_loss(bm.max(outs, axis=0), y_data)

  @bm.cls_jit
  def f_train(self):
    grads, loss = self.f_grad()
    self.opt.update(grads)
    return loss


params = {'W1': net.i2r.comm.W, 'b1': net.i2r.comm.b, 'W2': net.r2o.comm.W, 'b2': net.r2o.comm.b}


def values():
  return {k: np.asarray(v.value).ravel().tolist() for k, v in params.items()}


# Spikes are sparse: store the flat (time-first, row-major) indices of the ones.
ref = {'init': values(), 'x': np.flatnonzero(np.asarray(x_data)).tolist(), 'y': np.asarray(y_data).tolist()}

runner = bp.DSRunner(net, data_first_axis='T', monitors={'r.spike': net.r.spike}, progress_bar=False)
out = runner.run(inputs=x_data, reset_state=True)
ref['out'] = np.asarray(out).ravel().tolist()
ref['spikes'] = np.flatnonzero(np.asarray(runner.mon['r.spike'])).tolist()
m = np.asarray(out).max(axis=0)
ref['ties'] = int(((np.asarray(out) == m[None]).sum(axis=0) > 1).sum())

trainer = Trainer(net=net, opt=bp.optim.Adam(lr=4e-3))
names = {id(v): k for k, v in params.items()}
grads, loss = trainer.f_grad()
ref['loss'] = float(loss)
ref['grads'] = {names[id(trainer.opt.vars_to_train[k])]: np.asarray(g).ravel().tolist() for k, g in grads.items()}
ref['losses'] = [float(trainer.f_train()) for _ in range(NUM_TRAIN)]
ref['final'] = values()
with open(sys.argv[1], 'w') as f:
  json.dump(ref, f)
print('loss', ref['loss'], 'losses', ref['losses'], 'tied maxima', ref['ties'],
      'spikes', len(ref['spikes']))
