"""Reference numbers for trainers/snn_brainpy_test.go, from BrainPy 2.5.0 (jax/jaxlib 0.4.23).

The SNN of BrainPy 2.5.0's "Training with Back-propagation Algorithms" tutorial (seed 004),
shrunk to 16 inputs, 8 hidden LifRef neurons and 3 Leaky readouts over 40 steps at the default
dt = 0.1, trained with its loss (cross-entropy of the maximum over time plus the two spike
regularisers) and BPTT(optimizer=Adam(lr=1e-3)). The input weights use KaimingNormal(scale=200)
so that hidden neurons fire within 40 steps; readout traces that stay at 0 until the first
hidden spike make the maximum over time a tie, which BrainPy (JAX) differentiates by splitting
the gradient among the tied steps.

Run: python snn_bp25.py snn_bp25.json
"""
import json
import sys

import numpy as np
import brainpy as bp
import brainpy.math as bm

bm.set_mode(bm.training_mode)
bm.set_platform('cpu')
NI, NR, NO, B, T, NB = 16, 8, 3, 4, 40, 3


class SNN(bp.DynamicalSystem):
  def __init__(self):
    super().__init__()
    self.r = bp.dyn.LifRef(NR, tau=10, V_reset=0, V_rest=0, V_th=1.)
    self.o = bp.dyn.Leaky(NO, tau=5)
    self.i2r = bp.dyn.HalfProjAlignPost(comm=bp.dnn.Linear(NI, NR, bp.init.KaimingNormal(scale=200.)),
                                        syn=bp.dyn.Expon(NR, tau=10.), out=bp.dyn.CUBA(), post=self.r)
    self.r2o = bp.dyn.HalfProjAlignPost(comm=bp.dnn.Linear(NR, NO, bp.init.KaimingNormal(scale=2.)),
                                        syn=bp.dyn.Expon(NO, tau=10.), out=bp.dyn.CUBA(), post=self.o)

  def update(self, spike):
    self.i2r(spike)
    self.r2o(self.r.spike.value)
    self.r()
    self.o()
    return self.o.x.value


def loss_fun(predicts, targets):
  predicts, mon = predicts
  l1_loss = 1e-5 * bm.sum(mon['r.spike'])
  l2_loss = 1e-5 * bm.mean(bm.sum(bm.sum(mon['r.spike'], axis=0), axis=0) ** 2)
  predicts = bm.max(predicts, axis=1)
  loss = bp.losses.cross_entropy_loss(predicts, targets)
  acc = bm.mean(predicts.argmax(-1) == targets)
  return loss + l2_loss + l1_loss, {'acc': acc}


bm.random.seed(5)
rng = np.random.default_rng(5)
model = SNN()
trainer = bp.BPTT(model, loss_fun=loss_fun, loss_has_aux=True, optimizer=bp.optim.Adam(lr=1e-3),
                  monitors={'r.spike': model.r.spike})
params = {'W1': model.i2r.comm.W, 'b1': model.i2r.comm.b, 'W2': model.r2o.comm.W, 'b2': model.r2o.comm.b}


def values():
  return {k: np.asarray(v.value).ravel().tolist() for k, v in params.items()}


xs = [(rng.random((B, T, NI)) < 0.15).astype(np.float32) for _ in range(NB)]
ys = [rng.integers(0, NO, B).astype(np.int32) for _ in range(NB)]
ref = {'init': values(), 'x': [x.ravel().astype(int).tolist() for x in xs], 'y': [y.tolist() for y in ys]}

outs = trainer.predict(bm.asarray(xs[0]), reset_state=True)
ref['out'] = np.asarray(outs).ravel().tolist()
ref['spikes'] = np.asarray(trainer.mon['r.spike']).ravel().astype(int).tolist()

model.reset(B)
trainer.reset_state()
grads, loss, aux = trainer._step_func_grad({}, bm.asarray(xs[0]), bm.asarray(ys[0]))
names = {id(v): k for k, v in params.items()}
ref['loss'] = float(loss)
ref['grads'] = {names[id(v)]: np.asarray(grads[key]).ravel().tolist()
                for key, v in model.train_vars().unique().items()}

trainer.fit(lambda: iter([(bm.asarray(x), bm.asarray(y)) for x, y in zip(xs, ys)]), num_epoch=1)
ref['losses'] = [float(v) for v in trainer.get_hist_metric('fit', which='detailed')]
ref['final'] = values()
with open(sys.argv[1], 'w') as f:
  json.dump(ref, f)
