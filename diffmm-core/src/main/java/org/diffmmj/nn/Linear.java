package org.diffmmj.nn;

import org.diffmmj.autograd.Parameter;
import org.diffmmj.autograd.Tape;
import org.diffmmj.autograd.Var;
import org.diffmmj.random.Rng;
import org.diffmmj.tensor.Tensor;

/**
 * y = x·W + b with W stored (in × out), the transpose of PyTorch's {@code nn.Linear.weight}, so
 * the forward is one gemm without a transpose. Parameters {@code NAME.weight} and, when present,
 * {@code NAME.bias} (1 × out).
 */
public final class Linear extends Module {

    private final Parameter weight;
    private final Parameter bias;

    public Linear(String name, Tensor weight, Tensor bias) {
        if (bias != null && (bias.rows() != 1 || bias.cols() != weight.cols())) {
            throw new IllegalArgumentException(name + ": bias is " + bias.shape() + ", expected 1×" + weight.cols());
        }
        this.weight = parameter(name + ".weight", weight);
        this.bias = bias == null ? null : parameter(name + ".bias", bias);
    }

    /** nn.Linear's default initialisation: weight, then bias, each U(−1/√in, 1/√in). */
    public static Linear pytorchDefault(String name, int in, int out, Rng rng) {
        Tensor w = Init.linearDefault(in, out, in, rng);
        return new Linear(name, w, Init.linearDefault(1, out, in, rng));
    }

    /** Xavier-uniform weight and no bias (a plain projection). */
    public static Linear xavierUniformNoBias(String name, int in, int out, Rng rng) {
        return new Linear(name, Init.xavierUniform(in, out, rng), null);
    }

    /** DiffRec's initialisation: weight N(0, √(2/(in+out))), then bias N(0, 0.001). */
    public static Linear xavierNormal(String name, int in, int out, Rng rng) {
        Tensor w = Init.xavierNormal(in, out, rng);
        return new Linear(name, w, Init.normal(1, out, 0.001f, rng));
    }

    public Var forward(Tape tape, Var x) {
        return tape.linear(x, tape.param(weight), bias == null ? null : tape.param(bias));
    }

    public Parameter weight() {
        return weight;
    }

    /** The bias, or null. */
    public Parameter bias() {
        return bias;
    }

    public int in() {
        return weight.value().rows();
    }

    public int out() {
        return weight.value().cols();
    }
}
