"""Exercises and concept questions of lesson 03, forward propagation.

Every exercise keeps a bank of the mistakes learners make (each re-enacted by a
module-level function, named in ``check()``'s "likely cause") and of correct
variants in other styles, which must pass. Bank functions are self-contained, as
a learner would write them: they use only ``np``, builtins and the exercise's
prerequisites, so that the grader's sandbox can run their source.
"""

import itertools

import numpy as np

from nnlib.activations import ACTIVATIONS, identity, relu, sigmoid, tanh
from nnlib.exercises import Case, Exercise, Mistake, Question, Variant
from nnlib.exercises.case_functions import named_order
from nnlib.graph import _depth_first, forward_order
from nnlib.layers import DenseCache, dense_forward
from nnlib.mlp import Dense, mlp_forward


def _layer(rng, d_in, d_out, dtype=np.float64):
    return Dense(rng.normal(size=(d_in, d_out)).astype(dtype), rng.normal(size=d_out).astype(dtype))


def _dense_forward_cases(rng):
    def case(name, n, d_in, d_out, activation, dtype=np.float64):
        W, b = _layer(rng, d_in, d_out, dtype)
        return Case(f'activation="{activation}", {name}',
                    (rng.normal(size=(n, d_in)).astype(dtype), W, b, activation))

    return [
        case("4 examples, 3 inputs, 2 units", 4, 3, 2, "relu"),
        case("5 examples, 4 inputs, 3 units", 5, 4, 3, "sigmoid"),
        case("3 examples, 2 inputs, 5 units", 3, 2, 5, "tanh"),
        case("logits: 6 examples, 3 inputs, 4 units", 6, 3, 4, "identity"),
        case("batch of 1", 1, 3, 4, "relu"),
        case("square W (a transposed W would go unnoticed otherwise)", 4, 3, 3, "sigmoid"),
        case("float32 stays float32", 4, 3, 2, "tanh", np.float32),
    ]


def _mlp_forward_cases(rng):
    def case(name, n, sizes, hidden=None, output=None):
        params = [_layer(rng, d_in, d_out) for d_in, d_out in itertools.pairwise(sizes)]
        args = (rng.normal(size=(n, sizes[0])), params)
        if hidden is not None:
            args += (hidden,) if output is None else (hidden, output)
        where = " -> ".join(str(s) for s in sizes)
        return Case(f"{name} ({where})", args)

    return [
        case('1 layer, hidden="relu", output="identity"', 4, (3, 2), "relu", "identity"),
        case('2 layers, hidden="relu", output="identity"', 5, (3, 4, 2), "relu", "identity"),
        case('3 layers, hidden="tanh", output="sigmoid"', 4, (2, 5, 3, 1), "tanh", "sigmoid"),
        case('2 layers, hidden="sigmoid", output="tanh"', 3, (4, 3, 2), "sigmoid", "tanh"),
        case('2 layers, hidden="identity", output="relu"', 6, (2, 3, 3), "identity", "relu"),
        case("batch of 1, 2 layers", 1, (3, 4, 2), "relu", "identity"),
        case("non-square layers, 3 layers", 2, (5, 7, 3, 4), "relu", "identity"),
        case('defaults (hidden="relu", output="identity" not passed), 2 layers', 4, (2, 6, 3)),
    ]


# --------------------------------------------------------------------------- #
# dense_forward: known mistakes (prerequisites: ACTIVATIONS, DenseCache, the activations)
# --------------------------------------------------------------------------- #


def _dense_without_bias(X, W, b, activation="relu"):
    f, _ = ACTIVATIONS[activation]
    Z = X @ W
    return f(Z), DenseCache(X, Z)


def _dense_caching_a(X, W, b, activation="relu"):
    f, _ = ACTIVATIONS[activation]
    A = f(X @ W + b)
    return A, DenseCache(X, A)


def _dense_no_activation(X, W, b, activation="relu"):
    Z = X @ W + b
    return Z, DenseCache(X, Z)


def _dense_always_relu(X, W, b, activation="relu"):
    Z = X @ W + b
    return relu(Z), DenseCache(X, Z)


def _dense_bias_after_activation(X, W, b, activation="relu"):
    f, _ = ACTIVATIONS[activation]
    Z = X @ W
    return f(Z) + b, DenseCache(X, Z)


def _dense_derivative(X, W, b, activation="relu"):
    _, f_prime = ACTIVATIONS[activation]
    Z = X @ W + b
    return f_prime(Z), DenseCache(X, Z)


def _dense_cache_holds_w(X, W, b, activation="relu"):
    f, _ = ACTIVATIONS[activation]
    Z = X @ W + b
    return f(Z), DenseCache(W, Z)


def _dense_cache_fields_swapped(X, W, b, activation="relu"):
    f, _ = ACTIVATIONS[activation]
    Z = X @ W + b
    return f(Z), DenseCache(Z, X)


def _dense_cache_first(X, W, b, activation="relu"):
    f, _ = ACTIVATIONS[activation]
    Z = X @ W + b
    return DenseCache(X, Z), f(Z)


_DENSE_FORWARD_MISTAKES = (
    Mistake("the bias is missing: every neuron adds its bias b_j to its weighted sum, Z = X W + b",
            _dense_without_bias),
    Mistake("the cache holds A instead of Z: return DenseCache(X, Z) with the pre-activation Z "
            "(the backward pass needs f'(Z))", _dense_caching_a),
    Mistake("the activation was not applied: A = f(Z), with f from ACTIVATIONS[activation]",
            _dense_no_activation),
    Mistake("ReLU was applied whatever the activation argument says: take f from ACTIVATIONS[activation]",
            _dense_always_relu),
    Mistake("the bias was added after the activation: it belongs inside, A = f(X W + b)",
            _dense_bias_after_activation),
    Mistake("you applied f', the derivative: ACTIVATIONS[activation] is the pair (f, f_prime), and the "
            "forward pass uses f", _dense_derivative),
    Mistake("the cache holds W where the layer's input X belongs: DenseCache(X, Z) keeps the input "
            "(the backward pass gets W separately)", _dense_cache_holds_w),
    Mistake("the cache's fields are swapped: DenseCache(X, Z), the input first, then the pre-activation",
            _dense_cache_fields_swapped),
    Mistake("the two results are swapped: return (A, cache), the activations first", _dense_cache_first),
)


# dense_forward: correct variants


def _dense_einsum(X, W, b, activation="relu"):
    f, _ = ACTIVATIONS[activation]
    Z = np.einsum("ni,ij->nj", X, W) + b
    return f(Z), DenseCache(X=X, Z=Z)


def _dense_row_loop(X, W, b, activation="relu"):
    f, _ = ACTIVATIONS[activation]
    Z = np.empty((X.shape[0], W.shape[1]), dtype=np.result_type(X, W))
    for n in range(X.shape[0]):
        Z[n] = X[n] @ W + b
    return f(Z), DenseCache(X, Z)


def _dense_named_activations(X, W, b, activation="relu"):
    Z = np.dot(X, W) + b[np.newaxis, :]
    if activation == "relu":
        A = relu(Z)
    elif activation == "sigmoid":
        A = sigmoid(Z)
    elif activation == "tanh":
        A = tanh(Z)
    else:
        A = identity(Z)
    return A, DenseCache(X, Z)


def _dense_neuron_loop(X, W, b, activation="relu"):
    f = ACTIVATIONS[activation][0]
    columns = [X @ W[:, j] + b[j] for j in range(W.shape[1])]  # one neuron at a time
    Z = np.stack(columns, axis=1)
    return f(Z), DenseCache(X, Z)


def _dense_list_result(X, W, b, activation="relu"):
    f, _ = ACTIVATIONS[activation]
    Z = X.dot(W) + b
    return [f(Z), DenseCache(X, Z)]


_DENSE_FORWARD_VARIANTS = (
    Variant("np.einsum for the weighted sums, keyword fields in the cache", _dense_einsum),
    Variant("a loop over the examples (rows of X)", _dense_row_loop),
    Variant("np.dot, an explicit new axis for b, the activation chosen by name", _dense_named_activations),
    Variant("a loop over the neurons (columns of W), stacked", _dense_neuron_loop),
    Variant("a list [A, cache] instead of a tuple", _dense_list_result),
)


# --------------------------------------------------------------------------- #
# mlp_forward: known mistakes (prerequisites: dense_forward, Dense, DenseCache, ACTIVATIONS)
# --------------------------------------------------------------------------- #


def _mlp_hidden_on_output(X, params, hidden="relu", output="identity"):
    A, caches = X, []
    for W, b in params:
        A, cache = dense_forward(A, W, b, hidden)
        caches.append(cache)
    return A, caches


def _mlp_output_everywhere(X, params, hidden="relu", output="identity"):
    A, caches = X, []
    for W, b in params:
        A, cache = dense_forward(A, W, b, output)
        caches.append(cache)
    return A, caches


def _mlp_without_biases(X, params, hidden="relu", output="identity"):
    A, caches = X, []
    for i, (W, _b) in enumerate(params):
        f, _ = ACTIVATIONS[output if i == len(params) - 1 else hidden]
        Z = A @ W
        caches.append(DenseCache(A, Z))
        A = f(Z)
    return A, caches


def _mlp_output_on_first(X, params, hidden="relu", output="identity"):
    A, caches = X, []
    for i, (W, b) in enumerate(params):
        A, cache = dense_forward(A, W, b, output if i == 0 else hidden)
        caches.append(cache)
    return A, caches


def _mlp_returns_last_z(X, params, hidden="relu", output="identity"):
    A, caches = X, []
    for i, (W, b) in enumerate(params):
        A, cache = dense_forward(A, W, b, output if i == len(params) - 1 else hidden)
        caches.append(cache)
    return caches[-1].Z, caches


def _mlp_caches_reversed(X, params, hidden="relu", output="identity"):
    A, caches = X, []
    for i, (W, b) in enumerate(params):
        A, cache = dense_forward(A, W, b, output if i == len(params) - 1 else hidden)
        caches.insert(0, cache)
    return A, caches


def _mlp_last_cache_only(X, params, hidden="relu", output="identity"):
    A = X
    for i, (W, b) in enumerate(params):
        A, cache = dense_forward(A, W, b, output if i == len(params) - 1 else hidden)
    return A, [cache]


def _mlp_skips_last_layer(X, params, hidden="relu", output="identity"):
    A, caches = X, []
    for W, b in params[:-1]:
        A, cache = dense_forward(A, W, b, hidden)
        caches.append(cache)
    return A, caches


def _mlp_activations_as_caches(X, params, hidden="relu", output="identity"):
    A, caches = X, []
    for i, (W, b) in enumerate(params):
        A, _ = dense_forward(A, W, b, output if i == len(params) - 1 else hidden)
        caches.append(A)
    return A, caches


def _mlp_mutable_default(X, params, hidden="relu", output="identity", caches=[]):  # noqa: B006 (the mistake)
    A = X
    for i, (W, b) in enumerate(params):
        A, cache = dense_forward(A, W, b, output if i == len(params) - 1 else hidden)
        caches.append(cache)
    return A, caches


_MLP_FORWARD_MISTAKES = (
    Mistake("the last layer used the hidden activation: only the last layer uses output, every other "
            "layer uses hidden", _mlp_hidden_on_output),
    Mistake("every layer used the output activation: the layers before the last use hidden",
            _mlp_output_everywhere),
    Mistake("the biases are missing: each layer computes Z = A W + b", _mlp_without_biases),
    Mistake("the output activation went to the first layer: it belongs to the last one, "
            "i == len(params) - 1", _mlp_output_on_first),
    Mistake("you returned the last layer's pre-activation Z: the network's output is its activation "
            "A = f(Z)", _mlp_returns_last_z),
    Mistake("the caches are in reverse order: caches[0] must be the first layer's (append, do not "
            "insert at the front)", _mlp_caches_reversed),
    Mistake("only the last layer's cache was returned: append every layer's cache to the list",
            _mlp_last_cache_only),
    Mistake("the last layer was skipped: loop over every Dense in params", _mlp_skips_last_layer),
    Mistake("the list holds each layer's activations A, not its cache: append the DenseCache that "
            "dense_forward returns", _mlp_activations_as_caches),
    Mistake("a mutable default argument, caches=[], is created once and keeps the caches of every "
            "earlier call: start a new list inside the function, caches = []", _mlp_mutable_default,
            # its output depends on every earlier call in the process, so no re-enactment reproduces
            # it, and how many caches too many it returns depends on what ran before: the message
            # names the part that has them (the list of caches)
            expect="output[1] has "),
)


# mlp_forward: correct variants


def _mlp_own_layers(X, params, hidden="relu", output="identity"):
    A, caches = X, []
    for layer, (W, b) in enumerate(params, start=1):
        f = ACTIVATIONS[output if layer == len(params) else hidden][0]
        Z = A @ W + b
        caches.append(DenseCache(A, Z))
        A = f(Z)
    return A, caches


def _mlp_while_loop(X, params, hidden="relu", output="identity"):
    caches = []
    A = X
    i = 0
    while i < len(params):
        activation = hidden if i < len(params) - 1 else output
        A, cache = dense_forward(A, params[i].W, params[i].b, activation)
        caches.append(cache)
        i += 1
    return A, caches


def _mlp_hidden_then_last(X, params, hidden="relu", output="identity"):
    A, caches = X, []
    for W, b in params[:-1]:
        A, cache = dense_forward(A, W, b, hidden)
        caches.append(cache)
    last = params[-1]
    A, cache = dense_forward(A, last.W, last.b, output)
    return A, [*caches, cache]


def _mlp_tuple_of_caches(X, params, hidden="relu", output="identity"):
    activations = [hidden] * (len(params) - 1) + [output]
    A, caches = X, ()
    for (W, b), activation in zip(params, activations, strict=True):
        A, cache = dense_forward(A, W, b, activation)
        caches += (cache,)
    return A, caches


def _mlp_einsum(X, params, hidden="relu", output="identity"):
    A, caches = X, []
    for i in range(len(params)):
        W, b = params[i]
        Z = np.einsum("nd,de->ne", A, W) + b
        caches.append(DenseCache(X=A, Z=Z))
        A = ACTIVATIONS[output if i == len(params) - 1 else hidden][0](Z)
    return A, caches


_MLP_FORWARD_VARIANTS = (
    Variant("its own layer computation, layers counted from 1", _mlp_own_layers),
    Variant("a while loop over layer indices, fields by name", _mlp_while_loop),
    Variant("the hidden layers in a loop, then the last layer on its own", _mlp_hidden_then_last),
    Variant("a tuple of caches instead of a list, activations zipped with the layers", _mlp_tuple_of_caches),
    Variant("np.einsum, the activation looked up per layer", _mlp_einsum),
)


# --------------------------------------------------------------------------- #
# forward_order: the order of a computation graph given by name
# --------------------------------------------------------------------------- #


def _forward_order_cases(rng):
    names = ["x1", "x2", "h1", "h2", "h3", "h4", "h5", "h6", "h7", "o1"]
    # a random acyclic graph: each node reads 1-3 earlier ones; then listed in a shuffled order
    reads = {name: [] for name in names[:2]}
    for i, name in enumerate(names[2:], start=2):
        k = min(i, int(rng.integers(1, 4)))
        reads[name] = sorted(rng.choice(names[:i], size=k, replace=False).tolist())
    shuffled = {name: reads[name] for name in rng.permutation(names).tolist()}
    return [
        Case("a chain x -> h -> out, listed h first", ({"h": ["x"], "x": [], "out": ["h"]},)),
        Case("an MLP with two hidden layers, listed out of order",
             ({"h2": ["h1"], "x": [], "out": ["h2"], "h1": ["x"]},)),
        Case("a skip connection: out reads h2 and also h1 directly (still feed-forward)",
             ({"x": [], "out": ["h2", "h1"], "h1": ["x"], "h2": ["h1"]},)),
        Case("two inputs and a node that reads one input twice (x·x is not a cycle)",
             ({"sq": ["a", "a"], "prod": ["sq", "b"], "a": [], "b": [], "out": ["prod", "sq"]},)),
        Case("a single node, no inputs", ({"x": []},)),
        Case("a loop, h1 -> h2 -> h1 (recurrent): raise ValueError naming it",
             ({"x1": [], "h1": ["x1", "h2"], "h2": ["h1"], "o1": ["h2"]},)),
        Case("a node that reads itself, r1 -> r1: raise ValueError naming it",
             ({"x1": [], "r1": ["x1", "r1"], "o1": ["r1"]},)),
        Case("10 nodes, each reading 1 to 3 others, listed in shuffled order", (shuffled,)),
    ]


def _forward_order_hidden_cases(rng):
    return [
        Case("a longer loop, h1 -> h2 -> h3 -> h1",
             ({"h3": ["h2"], "h1": ["h3", "x1"], "h2": ["h1"], "x1": [], "o1": ["h3"]},)),
        Case("a diamond: two paths from x to out",
             ({"out": ["l1", "r1"], "l1": ["x"], "r1": ["x"], "x": []},)),
    ]


def order_problem(names, reads, positions, *, what="node", leaves="the graph's inputs too") -> str | None:
    """What is wrong with an order of a graph's nodes, or None if it is a valid order.

    ``names[i]`` is node i's name, ``reads[i]`` the indices of the nodes it reads, ``positions``
    the index of each item of the learner's order (-1: not a node). Shared by lesson 05's
    ``topological_order``.
    """
    positions = [int(p) for p in positions]
    if any(p < 0 for p in positions):
        return (f"your order holds something that is not a {what} of the graph: return the graph's "
                f"{what}s themselves (here e.g. {names[0]!r})")
    for i, name in enumerate(names):
        if positions.count(i) > 1:
            return (f"{name!r} appears {positions.count(i)} times in your order: each {what} appears exactly "
                    "once (remember which ones you have placed already)")
    missing = [names[i] for i in range(len(names)) if i not in positions]
    if missing:
        return (f"your order leaves out {', '.join(map(repr, missing))}: every {what} appears once, {leaves}")
    where = {node: k for k, node in enumerate(positions)}
    late = [(k, i, j) for k, i in enumerate(positions) for j in reads[i] if where[j] > k]
    if not late:
        return None
    reverse_ok = all(where[j] > where[i] for i in range(len(names)) for j in reads[i])
    if reverse_ok and any(reads):
        return ("your order is backwards: every node comes before the nodes it reads. Reverse it "
                "(outputs first is the order in which the backward pass visits the graph)")
    k, i, j = late[0]
    message = (f"{names[i]!r} comes before its input {names[j]!r} (position {k} of your order, "
               f"{names[j]!r} at {where[j]}): a {what} can only be computed after every {what} it reads")
    skipped = [names[m] for m in reads[i] if m != j and _reaches(reads, m, j)]
    if skipped:
        message += (f". {names[i]!r} also reads {skipped[0]!r}, which {names[j]!r} depends on: a short path "
                    "(a skip connection) does not make it ready, it must wait for every path")
    return message


def _reaches(reads, start, target) -> bool:
    """Whether node ``target`` depends on node ``start`` (``start`` is among its inputs, recursively)."""
    stack, seen = [target], set()
    while stack:
        node = stack.pop()
        if node == start:
            return True
        if node not in seen:
            seen.add(node)
            stack.extend(reads[node])
    return False


def _verify_forward_order(case, received):
    inputs = case.args[0]
    names = sorted(inputs)
    index = {name: i for i, name in enumerate(names)}
    reads = [[index[n] for n in inputs[name]] for name in names]
    _, cycle = _depth_first(inputs)
    if "['not a list']" in received:
        return "return a list of the node names, in an order you can compute them in"
    if "['ValueError names']" in received:
        if cycle is None:
            twice = [(n, r) for n in names for r in set(inputs[n]) if inputs[n].count(r) > 1]
            note = (f" ({twice[0][0]!r} reads {twice[0][1]!r} twice, like x·x: that is two edges from one "
                    "node, not a cycle)") if twice else ""
            return f"your function raised ValueError, but this graph has no cycle{note}"
        mentioned = received["['ValueError names']"]
        if not any(mentioned[index[n]] for n in cycle):
            return (f"you raised ValueError for the cycle, but its message names none of the nodes on it "
                    f"({' -> '.join(cycle)}): say which nodes form the cycle, so that it can be found")
        return None
    if cycle is not None:
        return (f"the graph has a cycle, {' -> '.join(cycle)}: no node on it can be computed first, so no "
                "order exists. Raise ValueError naming the nodes on it instead of returning an order")
    order = received["['order']"]
    if list(order) == [index[n] for n in inputs] and forward_order(inputs) != list(inputs):
        return ("your order is the one in which the dict lists the nodes, which says nothing about "
                "who reads whom: " + order_problem(names, reads, order))
    return order_problem(names, reads, order)


# forward_order: known mistakes (no prerequisites)


def _order_as_listed(inputs):
    return list(inputs)


def _order_outputs_first(inputs):
    order, done = [], set()

    def visit(node):
        if node in done:
            return
        done.add(node)
        for source in inputs[node]:
            visit(source)
        order.append(node)

    for node in inputs:
        visit(node)
    return order[::-1]


def _order_without_inputs(inputs):
    order, done = [], set()

    def visit(node):
        if node not in done:
            done.add(node)
            for source in inputs[node]:
                visit(source)
            order.append(node)

    for node in inputs:
        visit(node)
    return [node for node in order if inputs[node]]


def _order_no_visited(inputs):
    order = []

    def visit(node):
        for source in inputs[node]:
            visit(source)
        order.append(node)

    readers = {source for reads in inputs.values() for source in reads}
    for node in inputs:
        if node not in readers:
            visit(node)
    return order


def _order_by_shortest_distance(inputs):
    distance = {node: 0 for node in inputs if not inputs[node]}
    frontier = list(distance)
    while frontier:
        following = []
        for node in inputs:
            if node not in distance and any(source in frontier for source in inputs[node]):
                distance[node] = distance[frontier[0]] + 1
                following.append(node)
        frontier = following
    return sorted(inputs, key=lambda node: distance.get(node, len(inputs)))


def _order_no_cycle_check(inputs):
    order, done = [], set()

    def visit(node):
        if node in done:
            return
        done.add(node)
        for source in inputs[node]:
            visit(source)
        order.append(node)

    for node in inputs:
        visit(node)
    return order


def _order_cycle_runtime_error(inputs):
    order, state = [], {}

    def visit(node):
        if state.get(node) == "done":
            return
        if state.get(node) == "visiting":
            raise RuntimeError("the graph has a cycle at " + node)
        state[node] = "visiting"
        for source in inputs[node]:
            visit(source)
        state[node] = "done"
        order.append(node)

    for node in inputs:
        visit(node)
    return order


def _order_cycle_vague_message(inputs):
    order, state = [], {}

    def visit(node):
        if state.get(node) == "done":
            return
        if state.get(node) == "visiting":
            raise ValueError("not a feed-forward graph")
        state[node] = "visiting"
        for source in inputs[node]:
            visit(source)
        state[node] = "done"
        order.append(node)

    for node in inputs:
        visit(node)
    return order


def _order_kahn_distinct_inputs(inputs):
    waiting = {node: len(reads) for node, reads in inputs.items()}  # counts x·x's input twice
    readers = {node: [] for node in inputs}
    for node, reads in inputs.items():
        for source in set(reads):  # ... but lets it go once
            readers[source].append(node)
    ready = [node for node in inputs if waiting[node] == 0]
    order = []
    while ready:
        node = ready.pop()
        order.append(node)
        for reader in readers[node]:
            waiting[reader] -= 1
            if waiting[reader] == 0:
                ready.append(reader)
    if len(order) < len(inputs):
        stuck = [node for node in inputs if node not in order]
        raise ValueError("cycle among " + ", ".join(stuck))
    return order


def _order_alphabetical(inputs):
    return sorted(inputs)


def _order_by_number_of_inputs(inputs):
    return sorted(inputs, key=lambda node: len(inputs[node]))


def _order_joined(inputs):
    order, done = [], set()

    def visit(node):
        if node not in done:
            done.add(node)
            for source in inputs[node]:
                visit(source)
            order.append(node)

    for node in inputs:
        visit(node)
    return " ".join(order)


_FORWARD_ORDER_MISTAKES = (
    Mistake("the dict's order is not an evaluation order", _order_as_listed,
            expect="in which the dict lists the nodes"),
    Mistake("outputs first: the reverse of an evaluation order", _order_outputs_first,
            expect="your order is backwards"),
    Mistake("the graph's inputs left out", _order_without_inputs, expect="your order leaves out"),
    Mistake("no record of visited nodes: a node read twice is placed twice", _order_no_visited,
            expect="appears 2 times"),
    Mistake("ordered by the shortest distance from an input (breadth-first), wrong with a skip connection",
            _order_by_shortest_distance, expect="a skip connection"),
    Mistake("a cycle not detected: an order returned for a recurrent graph", _order_no_cycle_check,
            expect="the graph has a cycle"),
    Mistake("a cycle reported with RuntimeError instead of ValueError", _order_cycle_runtime_error,
            expect="raised RuntimeError"),
    Mistake("a cycle reported without naming its nodes", _order_cycle_vague_message,
            expect="names none of the nodes on it"),
    Mistake("Kahn's algorithm that counts x·x's input twice but releases it once: a false cycle",
            _order_kahn_distinct_inputs, expect="reads 'a' twice"),
    Mistake("alphabetical order", _order_alphabetical, expect="comes before its input"),
    Mistake("sorted by the number of inputs", _order_by_number_of_inputs, expect="comes before its input"),
    Mistake("a string of names instead of a list", _order_joined, expect="return a list of the node names"),
)


# forward_order: correct variants


def _order_three_colours(inputs):
    order, colour = [], {}

    def visit(node, path):
        if colour.get(node) == "black":
            return
        if colour.get(node) == "grey":
            cycle = [*path[path.index(node):], node]
            raise ValueError("the graph has a cycle: " + " <- ".join(cycle))
        colour[node] = "grey"
        for source in inputs[node]:
            visit(source, [*path, node])
        colour[node] = "black"
        order.append(node)

    for node in inputs:
        visit(node, [])
    return order


def _order_kahn(inputs):
    waiting = {node: len(reads) for node, reads in inputs.items()}
    readers = {node: [] for node in inputs}
    for node, reads in inputs.items():
        for source in reads:  # one entry per edge: x·x releases its reader twice
            readers[source].append(node)
    queue = [node for node in inputs if waiting[node] == 0]
    order = []
    while queue:
        node = queue.pop(0)
        order.append(node)
        for reader in readers[node]:
            waiting[reader] -= 1
            if waiting[reader] == 0:
                queue.append(reader)
    if len(order) != len(inputs):
        left = sorted(node for node in inputs if waiting[node] > 0)
        raise ValueError(f"cycle: these nodes wait for each other: {left}")
    return order


def _order_repeated_scans(inputs):
    order, placed = [], set()
    while len(order) < len(inputs):
        ready = [node for node in inputs
                 if node not in placed and all(source in placed for source in inputs[node])]
        if not ready:
            raise ValueError("no node can go next, there is a cycle through " + str(set(inputs) - placed))
        order.extend(ready)
        placed.update(ready)
    return order


def _order_by_depth(inputs):
    depth, busy = {}, set()

    def depth_of(node):
        if node in depth:
            return depth[node]
        if node in busy:
            raise ValueError(f"{node} depends on itself (a cycle)")
        busy.add(node)
        depth[node] = 1 + max((depth_of(source) for source in inputs[node]), default=-1)
        busy.discard(node)
        return depth[node]

    for node in inputs:
        depth_of(node)
    return sorted(inputs, key=depth_of)


def _order_iterative_tuple(inputs):
    order, done, on_path = [], set(), set()
    for start in inputs:
        stack = [(start, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                on_path.discard(node)
                if node not in done:
                    done.add(node)
                    order.append(node)
                continue
            if node in done:
                continue
            if node in on_path:
                raise ValueError(f"cycle through {node!r}")
            on_path.add(node)
            stack.append((node, True))
            for source in reversed(inputs[node]):
                if source in on_path:
                    raise ValueError(f"cycle through {source!r}")
                stack.append((source, False))
    return tuple(order)


_FORWARD_ORDER_VARIANTS = (
    Variant("recursive depth-first search with three colours, the cycle as a path", _order_three_colours),
    Variant("Kahn's algorithm: a queue of nodes whose inputs are all placed", _order_kahn),
    Variant("repeated scans for ready nodes, a cycle when none is ready", _order_repeated_scans),
    Variant("sorted by depth (the longest path from an input), memoised", _order_by_depth),
    Variant("iterative depth-first search with an explicit stack, a tuple returned", _order_iterative_tuple),
)


EXERCISES = (
    Exercise(
        id="dense_forward",
        lesson="03",
        task="return the layer's activations A and DenseCache(X, Z) of its input and pre-activation",
        reference=dense_forward,
        make_cases=_dense_forward_cases,
        arg_names=("X", "W", "b", "activation"),
        prerequisites=("ACTIVATIONS", "DenseCache", "identity", "relu", "sigmoid", "tanh"),
        rtol=1e-6,  # float32 case
        mistakes=_DENSE_FORWARD_MISTAKES,
        variants=_DENSE_FORWARD_VARIANTS,
        hints=(
            "Two steps: the pre-activation of every neuron for every example (lesson 01), then the "
            "activation applied to every entry of it. Return A together with DenseCache(X, Z): the "
            "backward pass will need the layer's input X and its pre-activation Z (not A).",
            "ACTIVATIONS[activation] is the pair (f, f_prime) for a name such as 'relu'; take f from "
            "it. Z has shape (N, D_out), like A. Return a tuple of two things: A, and the cache.",
            "f, _ = ACTIVATIONS[activation]; Z = X @ W + b; return f(Z), DenseCache(X, Z)",
        ),
    ),
    Exercise(
        id="mlp_forward",
        lesson="03",
        task="run the layers one after another; return the network's output and the list of caches",
        reference=mlp_forward,
        make_cases=_mlp_forward_cases,
        arg_names=("X", "params", "hidden", "output"),
        prerequisites=("dense_forward", "Dense", "DenseCache", "ACTIVATIONS"),
        mistakes=_MLP_FORWARD_MISTAKES,
        variants=_MLP_FORWARD_VARIANTS,
        hints=(
            "Feed each layer's output into the next: A starts as X, and each layer turns it into its "
            "own activations with dense_forward. Only the last layer uses the output activation; "
            "every other layer uses hidden.",
            "Loop with for i, (W, b) in enumerate(params); the activation is output if "
            "i == len(params) - 1, else hidden. Append each layer's cache to a list, and return "
            "the last A together with that list.",
            "A, caches = X, []; for i, (W, b) in enumerate(params): activation = output if "
            "i == len(params) - 1 else hidden; A, cache = dense_forward(A, W, b, activation); "
            "caches.append(cache). Then return A, caches",
        ),
    ),
    Exercise(
        id="forward_order",
        lesson="03",
        task="return every node's name, each after the nodes it reads; raise ValueError naming a cycle",
        reference=forward_order,
        make_cases=_forward_order_cases,
        hidden_cases=_forward_order_hidden_cases,
        arg_names=("inputs",),
        harness=named_order,
        verify=_verify_forward_order,
        mistakes=_FORWARD_ORDER_MISTAKES,
        variants=_FORWARD_ORDER_VARIANTS,
        hints=(
            "A node can go into the order once all the nodes it reads are in it. Either keep picking "
            "nodes whose inputs are all placed, or, for each node, first place its inputs (and theirs), "
            "then the node itself. A cycle shows up as a node that waits, directly or not, for itself.",
            "Depth-first: visit(node) places the node's inputs first (visit each of them), then appends "
            "the node. Keep a set of placed nodes so nothing is placed twice, and a set of the nodes "
            "being visited right now: meeting one of those again means a cycle.",
            "order, placed, visiting = [], set(), set(); def visit(n): if n in placed: return; if n in "
            "visiting: raise ValueError(f'cycle through {n}'); visiting.add(n); for m in inputs[n]: "
            "visit(m); visiting.discard(n); placed.add(n); order.append(n). Call visit on every node "
            "of inputs, then return order",
        ),
    ),
)


QUESTIONS = (
    Question(
        id="q03_1",
        lesson="03",
        kind="choice",
        choices=("a", "b", "c", "d"),
        answer="b",
        feedback={
            "a": "That counts W1 (784 × 128) and W2 (128 × 10) but not the biases: every neuron has "
            "one, so b1 adds 128 numbers and b2 adds 10.",
            "b": "W1: 784 · 128 = 100,352, b1: 128, W2: 128 · 10 = 1,280, b2: 10. The batch size does "
            "not appear: the same W and b are applied to every example.",
            "c": "That is 32 times the right count. The parameters do not depend on the batch: the same "
            "W and b are applied to every row of X; only Z and A have N = 32 rows.",
            "d": "That counts the neurons (and inputs), not the connections: each of the 128 hidden "
            "neurons has one weight per input (784 of them) and a bias.",
        },
    ),
    Question(
        id="q03_2",
        lesson="03",
        kind="choice",
        choices=("a", "b", "c", "d"),
        answer="c",
        feedback={
            "a": "A skip connection does not close a loop: out = f(h2) + h1 reads h1 a second time, but h1 "
            "is computed before out and never reads out. No path leads from a node back to itself, so "
            "network 2 is feed-forward (ResNets are built of such blocks). Network 3 has the cycle.",
            "b": "Network 2 has no cycle: a node may read a value along two paths (through h2 and directly), "
            "and it just waits for both. Only a path of arrows that comes back to where it started is a "
            "cycle, and only network 3 has one: h reads itself.",
            "c": "Only network 3 has a cycle: h reads its own previous value, so h would have to be known "
            "before it is computed. Recurrent networks break the cycle by unrolling it in time: h_t reads "
            "h_(t-1), a different node, and the unrolled graph is feed-forward again.",
            "d": "Networks 1 and 2 can, but network 3 cannot: h reads its own value, so computing h needs "
            "h first, and no order of the nodes works. It can be computed in one sweep only once unrolled "
            "in time, one copy of h per step.",
        },
    ),
)
