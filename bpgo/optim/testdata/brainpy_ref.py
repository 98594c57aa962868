# Reference numbers for bpgo/optim tests, computed once with BrainPy 2.4.3 (x64):
#   <venv with brainpy==2.4.3>/bin/python testdata/brainpy_ref.py
# Only read by humans; the Go tests do not run it.
import brainpy as bp, brainpy.math as bm, numpy as np, jax.numpy as jnp
bm.enable_x64()
np.set_printoptions(precision=17)
def r(x): return ", ".join(repr(float(v)) for v in np.ravel(np.asarray(x)))

C = np.array([0.3, 0.1, -0.4])
P0 = np.array([1.0, -2.0, 0.5])
def grad(p): return 2.0*(p - C)

def run(opt_fn, epochs, steps, step_epoch=True, wd=None):
    p = bm.TrainVar(bm.asarray(P0.copy()))
    opt = opt_fn()
    opt.register_train_vars({'p': p})
    out = []
    for e in range(epochs):
        for s in range(steps):
            g = grad(np.asarray(p.value))
            opt.update({'p': bm.asarray(g)})
            out.append(np.asarray(p.value).copy())
        if step_epoch: opt.lr.step_epoch()
    return out

def show(name, out):
    print("//", name)
    for o in out: print("{" + r(o) + "},")

show("adam_bptt", run(lambda: bp.optim.Adam(lr=bp.optim.ExponentialDecay(0.025,1,0.99975), eps=0.1), 3, 4))
show("adam_custom", run(lambda: bp.optim.Adam(lr=bp.optim.ExponentialDecay(0.025,1,0.99975), eps=0.1), 1, 6, step_epoch=False))
show("adam_wd", run(lambda: bp.optim.Adam(lr=0.01, weight_decay=0.05), 2, 3))
show("sgd", run(lambda: bp.optim.SGD(lr=0.1), 1, 5))
show("sgd_wd_steplr", run(lambda: bp.optim.SGD(lr=bp.optim.StepLR(0.1, 2, 0.5), weight_decay=0.01), 4, 2))
show("momentum", run(lambda: bp.optim.Momentum(lr=0.05, momentum=0.9), 1, 6))
show("momentum_wd", run(lambda: bp.optim.Momentum(lr=0.05, momentum=0.8, weight_decay=0.02), 1, 4))
show("rmsprop", run(lambda: bp.optim.RMSProp(lr=0.01), 1, 6))
show("rmsprop_opts", run(lambda: bp.optim.RMSProp(lr=bp.optim.InverseTimeDecay(0.02, 2, 0.5), epsilon=1e-3, rho=0.8, weight_decay=0.01), 1, 5))

def sched_calls(s, n):
    v = []
    for i in range(n):
        v.append(float(s())); s.step_call()
    return v
def sched_epochs(s, n):
    v = []
    for i in range(n):
        v.append(float(s())); s.step_epoch()
    return v
print("// ExponentialDecay(0.025,1,0.99975) calls", sched_calls(bp.optim.ExponentialDecay(0.025,1,0.99975), 5))
print("// ExponentialDecay(0.1,3,0.5) calls", sched_calls(bp.optim.ExponentialDecay(0.1,3,0.5), 7))
print("// InverseTimeDecay(0.1,2,0.5) calls", sched_calls(bp.optim.InverseTimeDecay(0.1,2,0.5), 6))
print("// InverseTimeDecay(0.1,2,0.5,staircase) calls", sched_calls(bp.optim.InverseTimeDecay(0.1,2,0.5,staircase=True), 6))
print("// StepLR(0.1,2,0.5) epochs", sched_epochs(bp.optim.StepLR(0.1,2,0.5), 6))
print("// MultiStepLR(0.1,[2,5],0.1) epochs", sched_epochs(bp.optim.MultiStepLR(0.1,[2,5],0.1), 7))
print("// CosineAnnealingLR(0.1,4,0.01) epochs", sched_epochs(bp.optim.CosineAnnealingLR(0.1,4,0.01), 7))
print("// ExponentialLR(0.1,0.9) epochs", sched_epochs(bp.optim.ExponentialLR(0.1,0.9), 5))
# call-based schedule ignores epochs
s = bp.optim.ExponentialDecay(0.1,1,0.5); s.step_epoch(); s.step_epoch()
print("// ExpDecay after 2 epochs, 0 calls", float(s()))
print("// custom factor", float(np.sqrt(1-0.999)/(1-0.9)))

# ---- textbook Adam and per-array clipping ----
# textbook (2.1.12) Adam == 2.4.3 Adam with step_epoch after every update
p = bm.TrainVar(bm.asarray(P0.copy()))
opt = bp.optim.Adam(lr=bp.optim.ExponentialDecay(0.025,1,0.99975), eps=0.1); opt.register_train_vars({'p': p})
print("// adam_textbook")
for k in range(5):
    opt.update({'p': bm.asarray(2*(np.asarray(p.value)-C))}); opt.lr.step_epoch()
    print("{" + r(p.value) + "},")
# per-array clip (bm.clip_by_norm, as 2.1.12 BPTT max_grad_norm) then SGD(0.1)
Q0 = np.array([[0.5, -1.5], [2.0, 0.25]]); D = np.array([[0.0, 1.0], [-1.0, 0.5]])
p = bm.TrainVar(bm.asarray(P0.copy())); q = bm.TrainVar(bm.asarray(Q0.copy()))
opt = bp.optim.SGD(lr=0.1); opt.register_train_vars({'p': p, 'q': q})
print("// sgd_clip_per_array 1.5")
for k in range(4):
    g = {'p': bm.asarray(2*(np.asarray(p.value)-C)), 'q': bm.asarray(3*(np.asarray(q.value)-D))}
    g = bm.clip_by_norm(g, 1.5)
    opt.update(g)
    print("{" + r(p.value) + "}, {" + r(q.value) + "},")
