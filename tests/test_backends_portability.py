"""The generated module is plain Keras 3: nothing in it ties it to TensorFlow.

- Under the JAX backend it builds the same model and, given the weights the TensorFlow
  build holds (passed through a .npz file), computes the same features and outputs.
- Under tf.distribute.MirroredStrategy over two logical CPU devices it builds, compiles
  and trains a step with mirrored variables.

Keras picks its backend when it is imported, and TensorFlow fixes its logical devices
when it first starts, so each runs in a subprocess of its own; this process (TensorFlow
backend) is the reference.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np

import archgen
from tests.conftest import ROOT, SPECS, write_spec
from tests.generated_source import import_source
from tests.keras_compare import (
    RELATIVE_TOLERANCE,
    probe,
    random_batch,
    relative_difference,
    set_comparable_weights,
)


def run_python(script: str, *args: str, backend: str) -> str:
    """Run `script` in a fresh interpreter with KERAS_BACKEND=backend; its stdout."""
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    result = subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return result.stdout


# --- the same model under JAX -------------------------------------------------------------

JAX_SIDE = """
import importlib.util
import sys

import keras
import numpy as np

from tests.keras_compare import probe

assert keras.backend.backend() == "jax", keras.backend.backend()
arguments = sys.argv[1:]
for source, weights_file, batch_file, out_file in zip(*[iter(arguments)] * 4):
    spec = importlib.util.spec_from_file_location("generated", source)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model = module.build_model()
    weights = np.load(weights_file)
    model.set_weights([weights[f"w{i}"] for i in range(len(weights.files))])
    outputs = probe(model)(np.load(batch_file)["batch"], training=False)
    np.savez(out_file, *[np.asarray(output) for output in outputs])
print("tensorflow imported:", "tensorflow" in sys.modules)
"""

# Beside LeNet-5, a small network with what the library's large ones add: batch norm,
# a concat and Inception-ResNet's scaled residual sum, the ScaledAdd layer class that the
# generated module defines itself. (inception_resnet_v2 itself takes a minute under JAX's
# op-by-op execution.)
SCALED_RESIDUAL = """\
archgen: 1
name: scaled_residual
input: [16, 16, 3]
params: {classes: 10}
blocks:
  conv_bn:
    args: {filters: required, kernel: 3}
    seq:
      - conv2d: {filters: $filters, kernel: $kernel, padding: same, use_bias: false}
      - batch_norm: {scale: false}
      - relu
  block:
    add:
      shortcut: []
      residual:
        - concat:
            branch_0: [conv_bn: {filters: 8, kernel: 1}]
            branch_1: [conv_bn: {filters: 8, kernel: 1}, conv_bn: {filters: 8}]
        - conv2d: {filters: 16, kernel: 1, padding: same}
    scale: 0.17
    activation: relu
model:
  - conv_bn: {filters: 16}
  - repeat: 2
    seq: [block]
  - global_avg_pool: {name: avg_pool}
  - dense: {units: $classes, activation: softmax, name: predictions}
"""


def test_generated_modules_under_jax_compute_what_they_compute_under_tensorflow(tmp_path):
    import keras

    assert keras.backend.backend() == "tensorflow"
    spec = write_spec(tmp_path, SCALED_RESIDUAL, "scaled_residual.yaml")
    cases = {"lenet5": SPECS / "lenet5.yaml", "scaled_residual": spec}
    arguments, expected = [], {}
    for name, path in cases.items():
        arch = archgen.load(path)
        source = tmp_path / f"{name}_generated.py"
        model = import_source(arch.python_source(), tmp_path, source.stem).build_model()
        weights = set_comparable_weights(model)
        batch = random_batch(model, np.random.default_rng(1))
        expected[name] = [np.asarray(t) for t in probe(model)(batch, training=False)]
        np.savez(tmp_path / f"{name}_weights.npz", **{f"w{i}": w for i, w in enumerate(weights)})
        np.savez(tmp_path / f"{name}_batch.npz", batch=batch)
        arguments += [
            source,
            *(tmp_path / f"{name}_{part}.npz" for part in ("weights", "batch", "jax")),
        ]
    assert "ScaledAdd" in (tmp_path / "scaled_residual_generated.py").read_text()

    stdout = run_python(JAX_SIDE, *map(str, arguments), backend="jax")
    assert "tensorflow imported: False" in stdout
    for name, theirs in expected.items():
        outputs = np.load(tmp_path / f"{name}_jax.npz")
        ours = [outputs[f"arr_{i}"] for i in range(len(outputs.files))]
        assert len(ours) == len(theirs) == 2, name
        for mine, their in zip(ours, theirs, strict=True):
            # features, then outputs: to 1e-5 of their scale (keras_compare.RELATIVE_TOLERANCE)
            assert relative_difference(mine, their) <= RELATIVE_TOLERANCE, name


# --- a training step under MirroredStrategy ---------------------------------------------------

MIRRORED_SIDE = """
import importlib.util
import json
import sys

import numpy as np
import tensorflow as tf

# two logical CPU devices, before anything else starts TensorFlow's runtime
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

import keras  # noqa: E402

spec = importlib.util.spec_from_file_location("generated", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)

strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
with strategy.scope():
    model = module.build_model()
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="sparse_categorical_crossentropy")
mirrored = [isinstance(w.value, tf.distribute.DistributedValues) for w in model.weights]
before = [np.array(w) for w in model.get_weights()]
rng = np.random.default_rng(0)
images = rng.standard_normal((8, *model.inputs[0].shape[1:])).astype("float32")
labels = rng.integers(0, model.outputs[0].shape[-1], 8)
history = model.fit(images, labels, batch_size=8, epochs=1, verbose=0)
after = model.get_weights()
print(json.dumps({
    "replicas": strategy.num_replicas_in_sync,
    "mirrored": all(mirrored),
    "steps": int(model.optimizer.iterations.numpy()),
    "loss": history.history["loss"],
    "changed": [bool(np.any(a != b)) for a, b in zip(before, after)],
}))
"""


def test_generated_module_trains_a_step_under_mirrored_strategy(tmp_path):
    source = tmp_path / "lenet5_generated.py"
    source.write_text(archgen.load(SPECS / "lenet5.yaml").python_source())
    stdout = run_python(MIRRORED_SIDE, str(source), backend="tensorflow")
    report = json.loads(stdout.strip().splitlines()[-1])
    assert report["replicas"] == 2
    assert report["mirrored"], "the variables made in strategy.scope() are mirrored"
    assert report["steps"] == 1
    assert len(report["loss"]) == 1 and np.isfinite(report["loss"][0])
    # every weight of LeNet-5 (kernels and biases; it has no batch norm) took the step
    assert report["changed"] and all(report["changed"])
