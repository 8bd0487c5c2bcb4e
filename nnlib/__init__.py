"""nnlib: the reference library of the course *Neural networks from the neuron up*.

Every function a lesson asks you to write has a graded reference here, under the
same name. Import what earlier lessons built, e.g. ``from nnlib import relu``.
"""

from nnlib._version import __version__ as __version__  # the one place the version is written
from nnlib.activations import (
    ACTIVATIONS,
    collapse_linear,
    identity,
    identity_derivative,
    relu,
    relu_derivative,
    sigmoid,
    sigmoid_derivative,
    softmax,
    softmax_jacobian,
    tanh,
    tanh_derivative,
    two_class_logit,
)
from nnlib.check import check, check_answer, hint, yours_or_reference
from nnlib.data import load_digits, make_blobs, make_moons, make_spiral, train_test_split, xor
from nnlib.gates import add_backward, max_backward, multiply_backward
from nnlib.gradcheck import (
    GradCheckReport,
    gradient_check,
    numerical_derivative,
    numerical_gradient,
    rel_error,
)
from nnlib.graph import Value, draw_graph, forward_order, topological_order
from nnlib.layers import (
    DenseCache,
    activation_backward,
    dense_backward,
    dense_forward,
    dense_preactivation,
)
from nnlib.losses import (
    LOSSES,
    binary_cross_entropy,
    mse_loss,
    mse_loss_backward,
    sigmoid_cross_entropy,
    sigmoid_cross_entropy_backward,
    softmax_cross_entropy,
    softmax_cross_entropy_backward,
)
from nnlib.mlp import (
    Dense,
    dead_relu_fraction,
    gradient_norms,
    init_mlp,
    loss_and_gradients,
    mlp_backward,
    mlp_forward,
    predict,
)
from nnlib.neuron import line_through, neuron_gradients, preactivation, signed_distance, train_neuron
from nnlib.optim import sgd_step
from nnlib.training import accuracy, iterate_minibatches, train

__all__ = [
    "ACTIVATIONS",
    "LOSSES",
    "Dense",
    "DenseCache",
    "GradCheckReport",
    "Value",
    "accuracy",
    "activation_backward",
    "add_backward",
    "binary_cross_entropy",
    "check",
    "check_answer",
    "collapse_linear",
    "dead_relu_fraction",
    "dense_backward",
    "dense_forward",
    "dense_preactivation",
    "draw_graph",
    "forward_order",
    "gradient_check",
    "gradient_norms",
    "hint",
    "identity",
    "identity_derivative",
    "init_mlp",
    "iterate_minibatches",
    "line_through",
    "load_digits",
    "loss_and_gradients",
    "make_blobs",
    "make_moons",
    "make_spiral",
    "max_backward",
    "mlp_backward",
    "mlp_forward",
    "mse_loss",
    "mse_loss_backward",
    "multiply_backward",
    "neuron_gradients",
    "numerical_derivative",
    "numerical_gradient",
    "preactivation",
    "predict",
    "rel_error",
    "relu",
    "relu_derivative",
    "sgd_step",
    "sigmoid",
    "sigmoid_cross_entropy",
    "sigmoid_cross_entropy_backward",
    "sigmoid_derivative",
    "signed_distance",
    "softmax",
    "softmax_cross_entropy",
    "softmax_cross_entropy_backward",
    "softmax_jacobian",
    "tanh",
    "tanh_derivative",
    "topological_order",
    "train",
    "train_neuron",
    "train_test_split",
    "two_class_logit",
    "xor",
    "yours_or_reference",
]
